using System.Text;
using System.Text.Json.Nodes;
using Sluice.EventLog;

namespace Sluice.Storage;

/// <summary>What every backend's event log promises: partitions in commit order, reads after a position, de-duplication.</summary>
public abstract class EventLogContract : IDisposable
{
    private readonly StoreBackend _backend;

    private protected EventLogContract(StoreBackend backend) => _backend = backend;

    public void Dispose() => _backend.Dispose();

    internal static PendingEvent Event(string messageId, string user, int partitions, string source = "web") =>
        new(messageId, checkDuplicate: true, "track", Encoding.UTF8.GetBytes($$"""{"messageId":"{{messageId}}","userId":"{{user}}","type":"track","event":"E"}"""), EventPartitions.Of(source, user, partitions));

    internal static IEnumerable<string> MessageIds(IEnumerable<LogRow> rows) =>
        rows.SelectMany(r => LogMessages.Split(r.Messages)).Select(m => (string)JsonNode.Parse(m)!["messageId"]!);

    /// <summary>
    /// Waits until the log holds <paramref name="messages"/> readable messages: a backend may make a commit
    /// readable a moment after it returns (PostgreSQL's waits for every older transaction to end).
    /// </summary>
    internal static void Settle(IEventLog log, int messages)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (CountReadable(log) < messages)
        {
            Assert.True(DateTime.UtcNow < deadline, $"fewer than {messages} messages became readable");
            Thread.Sleep(10);
        }
    }

    private static int CountReadable(IEventLog log)
    {
        var count = 0;
        for (var rows = log.ReadFrom(0, 1000, null); rows.Count > 0; rows = log.ReadFrom(rows[^1].Position, 1000, null))
        {
            count += rows.Sum(r => LogMessages.Split(r.Messages).Count);
        }

        return count;
    }

    [Fact]
    public void A_users_messages_share_a_partition_and_read_back_in_the_order_they_were_appended()
    {
        using var store = _backend.Open();
        var log = store.EventLog;
        log.Append([new EventBatch("web", [Event("a1", "ada", log.PartitionCount), Event("b1", "bob", log.PartitionCount)], 1)], 1, 0);
        log.Append([new EventBatch("web", [Event("a2", "ada", log.PartitionCount)], 2), new EventBatch("web", [Event("a3", "ada", log.PartitionCount)], 2)], 2, 0);

        var ada = EventPartitions.Of("web", "ada", log.PartitionCount);
        Settle(log, 4);
        var rows = log.Read(ada, 0, 100);

        Assert.All(rows, r => Assert.Equal(ada, r.Partition));
        Assert.Equal(["a1", "a2", "a3"], MessageIds(rows).Where(id => id.StartsWith('a')));
        Assert.True(rows.Zip(rows.Skip(1)).All(p => p.First.Position < p.Second.Position));
        Assert.Empty(log.Read(ada, rows[^1].Position, 100));
    }

    [Fact]
    public void A_read_from_a_position_across_partitions_keeps_position_order_and_only_the_partitions_asked_for()
    {
        using var store = _backend.Open();
        var log = store.EventLog;
        for (var i = 0; i < 40; i++)
        {
            log.Append([new EventBatch("web", [Event($"m{i}", $"user-{i % 7}", log.PartitionCount)], i)], i, 0);
        }

        Settle(log, 40);
        var all = log.ReadFrom(0, 1000, partitions: null);
        var some = new HashSet<int>(all.Select(r => r.Partition).Distinct().Take(2));
        var part = log.ReadFrom(0, 1000, some);
        var after = log.ReadFrom(all[9].Position, 5, partitions: null);

        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"m{i}"), MessageIds(all));
        Assert.Equal(all.Where(r => some.Contains(r.Partition)).Select(r => r.Position), part.Select(r => r.Position));
        Assert.Equal(all.Skip(10).Take(5).Select(r => r.Position), after.Select(r => r.Position));
        Assert.Equal(all[^1].Position, log.Head());
    }

    [Fact]
    public void A_messageId_seen_within_the_window_is_not_appended_again()
    {
        using var store = _backend.Open();
        var log = store.EventLog;
        var first = Event("same", "ada", log.PartitionCount);
        var again = Event("same", "ada", log.PartitionCount);
        log.Append([new EventBatch("web", [first], 1)], 1_000, 0);
        log.Append([new EventBatch("web", [again], 2)], 2_000, 0);

        Assert.False(first.IsDuplicate);
        Assert.True(again.IsDuplicate);
        Settle(log, 1);
        Assert.Single(MessageIds(log.ReadFrom(0, 100, null)));
    }

    [Fact]
    public void A_messageId_accepted_the_day_before_is_a_duplicate_while_the_window_reaches_it()
    {
        const long Day = 86_400_000;
        using var store = _backend.Open();
        var log = store.EventLog;
        var lateYesterday = Event("late", "ada", log.PartitionCount);
        var earlyYesterday = Event("early", "ada", log.PartitionCount);
        log.Append([new EventBatch("web", [earlyYesterday], 500)], 500, 0);
        log.Append([new EventBatch("web", [lateYesterday], Day - 1_000)], Day - 1_000, 0);

        // The next day, with a window that reaches back to 1 s after the first day began.
        var lateAgain = Event("late", "ada", log.PartitionCount);
        var earlyAgain = Event("early", "ada", log.PartitionCount);
        log.Append([new EventBatch("web", [lateAgain, earlyAgain], Day + 1_000)], Day + 1_000, 1_000);

        Assert.True(lateAgain.IsDuplicate);
        Assert.False(earlyAgain.IsDuplicate);
        Settle(log, 3);
        Assert.Equal(["early", "late", "early"], MessageIds(log.ReadFrom(0, 100, null)));
    }

    [Fact]
    public void A_messageId_stored_through_one_node_is_a_duplicate_on_another()
    {
        using var first = _backend.Open();
        using var second = _backend.Open();
        var once = Event("twice-sent", "ada", first.EventLog.PartitionCount);
        var again = Event("twice-sent", "ada", second.EventLog.PartitionCount);

        first.EventLog.Append([new EventBatch("web", [once], 1_000)], 1_000, 0);
        second.EventLog.Append([new EventBatch("web", [again], 2_000)], 2_000, 0);
        Settle(first.EventLog, 1);

        Assert.False(once.IsDuplicate);
        Assert.True(again.IsDuplicate);
        Assert.Single(MessageIds(second.EventLog.ReadFrom(0, 100, null)));
    }

    [Fact]
    public void An_empty_log_has_its_head_at_zero_and_every_partition_empty()
    {
        using var store = _backend.Open();

        Assert.Equal(0, store.EventLog.Head());
        Assert.Equal(EventPartitions.DefaultCount, store.EventLog.PartitionCount);
        Assert.Empty(store.EventLog.ReadFrom(0, 10, null));
    }

    [Fact]
    public void Large_commits_for_one_user_are_read_back_in_bounded_reads_in_order()
    {
        using var store = _backend.Open();
        var log = store.EventLog;
        var padding = new string('x', 20_000);
        var batches = Enumerable.Range(0, 4).Select(b => new EventBatch("web", [.. Enumerable.Range(0, 100).Select(i =>
            new PendingEvent($"m{(b * 100) + i:D4}", true, "track", Encoding.UTF8.GetBytes($$"""{"messageId":"m{{(b * 100) + i:D4}}","userId":"ada","p":"{{padding}}"}"""), EventPartitions.Of("web", "ada", log.PartitionCount)))], b)).ToList();
        log.Append(batches, 1, 0);
        Settle(log, 400);

        var first = log.ReadFrom(0, 200, null);
        var all = new List<LogRow>(first);
        while (log.ReadFrom(all[^1].Position, 200, null) is { Count: > 0 } more)
        {
            all.AddRange(more);
        }

        Assert.InRange(first.Sum(r => (long)r.Messages.Length), 1, 6 * 1024 * 1024);
        Assert.True(first.Count < all.Count, "one read returned the whole 8 MB commit");
        Assert.Equal(Enumerable.Range(0, 400).Select(i => $"m{i:D4}"), MessageIds(all));
    }

    [Fact]
    public void Old_events_go_only_once_every_consumer_has_read_them()
    {
        const long Day = 86_400_000;
        using var store = _backend.Open();
        var log = store.EventLog;
        log.Append([new EventBatch("web", [Event("old-1", "ada", log.PartitionCount), Event("old-2", "bob", log.PartitionCount)], 1_000)], 1_000, 0);
        log.Append([new EventBatch("web", [Event("new-1", "ada", log.PartitionCount)], 5 * Day)], 5 * Day, 0);
        Settle(log, 3);
        store.Cursors.Register("fast", ConsumerStart.Beginning);
        store.Cursors.Register("slow", ConsumerStart.Beginning);
        var leases = store.Leases.Claim("node", 1000, now: 0, until: long.MaxValue, takeOver: true);
        var head = log.Head();
        void ReadEverything(string consumer) => store.Cursors.Commit([.. leases.Select(l => new CursorAdvance(consumer, l.Partition, head, "node", l.Epoch))]);

        log.DropBefore(3 * Day, 100);
        var unread = MessageIds(log.ReadFrom(0, 100, null)).ToList();
        ReadEverything("fast");
        log.DropBefore(3 * Day, 100);
        var oneConsumerBehind = MessageIds(log.ReadFrom(0, 100, null)).ToList();
        ReadEverything("slow");
        log.DropBefore(3 * Day, 100);

        Assert.Equal(["new-1", "old-1", "old-2"], unread.Order());
        Assert.Equal(unread, oneConsumerBehind);
        Assert.Equal(["new-1"], MessageIds(log.ReadFrom(0, 100, null)));
    }

    [Fact]
    public void A_source_kept_shorter_or_longer_loses_only_its_own_old_events()
    {
        const long Day = 86_400_000;
        using var store = _backend.Open();
        var log = store.EventLog;
        log.Append([new EventBatch("web", [Event("web-old", "ada", log.PartitionCount)], 1_000), new EventBatch("app", [Event("app-old", "bob", log.PartitionCount)], 1_000), new EventBatch("srv", [Event("srv-old", "cy", log.PartitionCount)], 1_000)], 1_000, 0);
        log.Append([new EventBatch("web", [Event("web-new", "ada", log.PartitionCount)], 5 * Day)], 5 * Day, 0);
        Settle(log, 4);
        store.Cursors.Register("reader", ConsumerStart.Beginning);
        var leases = store.Leases.Claim("node", 1000, now: 0, until: long.MaxValue, takeOver: true);
        var head = log.Head();
        store.Cursors.Commit([.. leases.Select(l => new CursorAdvance("reader", l.Partition, head, "node", l.Epoch))]);

        log.DropBefore(3 * Day, 100, new RetentionScope("app", []));
        var afterApp = MessageIds(log.ReadFrom(0, 100, null)).Order().ToList();
        log.DropBefore(3 * Day, 100, new RetentionScope(null, ["srv"]));

        Assert.Equal(["srv-old", "web-new", "web-old"], afterApp);
        Assert.Equal(["srv-old", "web-new"], MessageIds(log.ReadFrom(0, 100, null)).Order());
    }

    /// <summary>
    /// The reader's rule: a reader that moves its cursor to the last position it read never has a
    /// commit land behind it. Appenders on their own handles race a reader; what the reader saw,
    /// read after read, must be everything, once, in position order.
    /// </summary>
    [Fact]
    public async Task Reading_after_the_last_position_read_while_others_append_never_skips_a_committed_message()
    {
        using var reader = _backend.Open();
        var partitions = reader.EventLog.PartitionCount;
        var appenders = Enumerable.Range(0, 3).Select(_ => _backend.Open()).ToList();
        var done = 0;
        var writing = appenders.Select((store, w) => Task.Run(() =>
        {
            for (var i = 0; i < 150; i++)
            {
                store.EventLog.Append([new EventBatch("web", [Event($"w{w}-{i}", $"user-{i % 5}", partitions), Event($"w{w}-{i}b", $"user-{(i + 1) % 5}", partitions)], i)], i, 0);
            }

            Interlocked.Increment(ref done);
        })).ToList();

        var seen = new List<LogRow>();
        long cursor = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Volatile.Read(ref done) < appenders.Count || (MessageIds(seen).Count() < 3 * 150 * 2 && DateTime.UtcNow < deadline))
        {
            var rows = reader.EventLog.ReadFrom(cursor, 50, null);
            seen.AddRange(rows);
            cursor = rows.Count > 0 ? rows[^1].Position : cursor;
        }

        await Task.WhenAll(writing);
        appenders.ForEach(a => a.Dispose());
        var everything = reader.EventLog.ReadFrom(0, 100_000, null);

        Assert.Equal(everything.Select(r => r.Position), seen.Select(r => r.Position));
        Assert.Equal(3 * 150 * 2, MessageIds(seen).Distinct().Count());
    }
}

public sealed class SqliteEventLogContract() : EventLogContract(new SqliteBackend());

public sealed class PostgresEventLogContract() : EventLogContract(new PostgresBackend());
