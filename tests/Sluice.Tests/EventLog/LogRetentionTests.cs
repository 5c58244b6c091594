using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sluice.Storage;

namespace Sluice.EventLog;

/// <summary>
/// How the retention settings compose on a real store: the default removes every source's old events but
/// those of a source kept longer, which its own pass removes at its own age; a source kept shorter goes sooner.
/// </summary>
public sealed class LogRetentionTests
{
    private const long Day = 86_400_000;

    private sealed class Fixed(RetentionSettings settings) : IRetentionSettings
    {
        public RetentionSettings Current() => settings;
    }

    [Fact]
    public async Task Each_source_keeps_its_events_as_long_as_its_own_retention_says_and_the_rest_as_the_default_says()
    {
        using var backend = new SqliteBackend();
        using var store = backend.Open();
        var log = store.EventLog;
        foreach (var (source, age) in new[] { ("web", 10), ("web", 3), ("app", 10), ("app", 3), ("archive", 10), ("archive", 3), ("gone-source", 10) })
        {
            var at = (20 - age) * Day;
            log.Append([new EventBatch(source, [EventLogContract.Event($"{source}-{age}d", "u", log.PartitionCount, source)], at)], at, 0);
        }

        store.Cursors.Register("reader", ConsumerStart.Beginning);
        var leases = store.Leases.Claim("node", 1000, now: 0, until: long.MaxValue, takeOver: true);
        var head = log.Head();
        store.Cursors.Commit([.. leases.Select(l => new CursorAdvance("reader", l.Partition, head, "node", l.Epoch))]);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(20 * Day));
        var settings = new RetentionSettings
        {
            Events = TimeSpan.FromDays(7),
            Sources = new Dictionary<string, TimeSpan> { ["app"] = TimeSpan.FromDays(2), ["archive"] = TimeSpan.FromDays(30) },
        };
        var retention = new LogRetention(log, new EventLogOptions(), new Fixed(settings), time, NullLogger<LogRetention>.Instance) { SlicePause = TimeSpan.Zero };

        var removed = await retention.RemoveOnceAsync();

        Assert.Equal(4, removed);
        Assert.Equal(["archive-10d", "archive-3d", "web-3d"], log.ReadFrom(0, 100, null).SelectMany(r => LogMessages.Split(r.Messages)).Select(m => System.Text.Json.JsonDocument.Parse(m).RootElement.GetProperty("messageId").GetString()).Order());
    }
}
