using Microsoft.Extensions.Time.Testing;

namespace Sluice.Delivery;

public sealed class RatePacerTests
{
    [Fact]
    public async Task Requests_to_a_limited_destination_are_spaced_one_interval_apart()
    {
        var time = new FakeTimeProvider();
        var pacer = new RatePacer(time);

        var turns = Enumerable.Range(0, 3).Select(_ => pacer.WaitTurnAsync("stories", 2, CancellationToken.None)).ToList();

        Assert.Equal([true, false, false], turns.Select(t => t.IsCompleted));
        time.Advance(TimeSpan.FromMilliseconds(500));
        await turns[1];
        Assert.False(turns[2].IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await turns[2];
    }

    [Fact]
    public void Destinations_without_a_limit_never_wait()
    {
        var pacer = new RatePacer(new FakeTimeProvider());

        Assert.All(Enumerable.Range(0, 100).Select(_ => pacer.WaitTurnAsync("webhook", null, CancellationToken.None)), t => Assert.True(t.IsCompleted));
        Assert.True(pacer.WaitTurnAsync("other", 0, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public void Each_destination_has_its_own_pace()
    {
        var pacer = new RatePacer(new FakeTimeProvider());

        Assert.True(pacer.WaitTurnAsync("a", 1, CancellationToken.None).IsCompleted);
        Assert.True(pacer.WaitTurnAsync("b", 1, CancellationToken.None).IsCompleted);
        Assert.False(pacer.WaitTurnAsync("a", 1, CancellationToken.None).IsCompleted);
    }
}
