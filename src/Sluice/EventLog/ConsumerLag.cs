namespace Sluice.EventLog;

/// <summary>How far behind a consumer is in each partition: the age of the oldest event it has not consumed yet.</summary>
internal static class ConsumerLag
{
    /// <summary>Seconds behind at <paramref name="now"/> (Unix ms) for each partition of <paramref name="cursors"/>; 0 where it is caught up.</summary>
    public static IReadOnlyDictionary<int, double> Seconds(IEventLog log, IReadOnlyDictionary<int, long> cursors, long now)
    {
        var first = log.FirstUnreadReceivedAt(cursors);
        return cursors.Keys.ToDictionary(p => p, p => first.TryGetValue(p, out var receivedAt) ? Math.Max(0, now - receivedAt) / 1000.0 : 0);
    }
}
