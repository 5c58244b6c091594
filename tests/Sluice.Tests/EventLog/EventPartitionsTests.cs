namespace Sluice.EventLog;

public sealed class EventPartitionsTests
{
    /// <summary>
    /// Pinned: partitions are stored with every message, so the function may never change between
    /// versions or machines (these are XxHash64 of "source:user" in UTF-8, modulo 64).
    /// </summary>
    [Theory]
    [InlineData("web", "ada", 64)]
    [InlineData("web", "bob", 64)]
    [InlineData("app", "ada", 64)]
    [InlineData("web", "", 64)]
    [InlineData("web", "zoë", 64)]
    public void A_partition_is_the_same_in_every_process(string source, string user, int count)
    {
        var expected = (int)(System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes($"{source}:{user}")) % (ulong)count);

        Assert.Equal(expected, EventPartitions.Of(source, user, count));
    }

    [Fact]
    public void Pinned_values_do_not_move()
    {
        Assert.Equal([EventPartitions.Of("web", "ada", 64), EventPartitions.Of("web", "bob", 64), EventPartitions.Of("app", "ada", 64)], PinnedValues);
    }

    [Fact]
    public void Users_spread_over_every_partition()
    {
        var counts = new int[64];
        for (var i = 0; i < 64_000; i++)
        {
            counts[EventPartitions.Of("web", $"anonymous-{i}", 64)]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
    }

    [Fact]
    public void A_long_user_key_is_hashed_whole()
    {
        var longKey = new string('x', 5_000);

        Assert.NotEqual(EventPartitions.Of("web", longKey + "a", 1 << 30), EventPartitions.Of("web", longKey + "b", 1 << 30));
    }

    private static readonly int[] PinnedValues = [55, 49, 28];
}
