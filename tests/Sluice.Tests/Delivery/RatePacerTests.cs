using Microsoft.Extensions.Time.Testing;
using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>The pacer hands out send slots from the destination's budget in the store, on the fake clock.</summary>
public sealed class RatePacerTests : IDisposable
{
    private readonly SqliteBackend _backend = new();
    private readonly StoreHandle _store;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-01T00:00:00Z"));

    public RatePacerTests() => _store = _backend.Open();

    public void Dispose()
    {
        _store.Dispose();
        _backend.Dispose();
    }

    [Fact]
    public void Requests_to_a_limited_destination_are_spaced_one_interval_apart()
    {
        var pacer = new RatePacer(_store.Destinations, _time);

        var waits = Enumerable.Range(0, 3).Select(_ => pacer.TakeSlot("stories", 2)).ToList();

        Assert.Equal([TimeSpan.Zero, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(1_000)], waits);
    }

    [Fact]
    public void Destinations_without_a_limit_never_wait()
    {
        var pacer = new RatePacer(_store.Destinations, _time);

        Assert.All(Enumerable.Range(0, 100).Select(_ => pacer.TakeSlot("webhook", null)), w => Assert.Equal(TimeSpan.Zero, w));
        Assert.Equal(TimeSpan.Zero, pacer.TakeSlot("other", 0));
    }

    [Fact]
    public void Each_destination_has_its_own_pace()
    {
        var pacer = new RatePacer(_store.Destinations, _time);

        Assert.Equal(TimeSpan.Zero, pacer.TakeSlot("a", 1));
        Assert.Equal(TimeSpan.Zero, pacer.TakeSlot("b", 1));
        Assert.Equal(TimeSpan.FromSeconds(1), pacer.TakeSlot("a", 1));
    }

    [Fact]
    public void Two_nodes_share_one_budget_so_together_they_keep_the_rate()
    {
        using var other = _backend.Open();
        var first = new RatePacer(_store.Destinations, _time);
        var second = new RatePacer(other.Destinations, _time);

        // 4 a second: each node reserves a second's worth (4 slots) at a time, and never the same ones.
        var firstWaits = Enumerable.Range(0, 4).Select(_ => first.TakeSlot("stories", 4)).ToList();
        var secondWaits = Enumerable.Range(0, 4).Select(_ => second.TakeSlot("stories", 4)).ToList();

        Assert.Equal([0, 250, 500, 750], firstWaits.Select(w => w.TotalMilliseconds));
        Assert.Equal([1_000, 1_250, 1_500, 1_750], secondWaits.Select(w => w.TotalMilliseconds));
    }

    [Fact]
    public void Slots_left_unused_are_not_spent_in_a_burst_after_a_pause()
    {
        var pacer = new RatePacer(_store.Destinations, _time);
        pacer.TakeSlot("stories", 4);

        _time.Advance(TimeSpan.FromSeconds(30));
        var waits = Enumerable.Range(0, 3).Select(_ => pacer.TakeSlot("stories", 4)).ToList();

        Assert.Equal([0, 250, 500], waits.Select(w => w.TotalMilliseconds));
    }
}
