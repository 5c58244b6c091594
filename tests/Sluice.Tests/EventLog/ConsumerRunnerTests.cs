using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sluice.Infrastructure;
using Sluice.Storage;
using Sluice.Storage.Sqlite;

namespace Sluice.EventLog;

/// <summary>Consumers read one log at their own pace, resume where they committed, and can't commit once their lease moved on.</summary>
public sealed class ConsumerRunnerTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-01T00:00:00Z"));
    private readonly string _directory = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
    private SqliteDatabase _database = null!;
    private SqliteEventLog _log = null!;
    private PartitionOwnership _node = null!;
    private readonly ForegroundBacklog _backlog = new();

    public async Task InitializeAsync()
    {
        _database = new SqliteDatabase(_directory, SqliteDurability.Normal);
        OutputConsumer.CreateTable(_database);
        _log = new SqliteEventLog(_database);
        _node = Ownership(new EventLogOptions());
        await _node.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _node.StopAsync(CancellationToken.None);
        _log.Dispose();
    }

    [Fact]
    public void A_slow_and_a_fast_consumer_each_read_every_message_once_at_their_own_pace()
    {
        Append(0, 300);
        var fast = new OutputConsumer(_database, "fast");
        var slow = new OutputConsumer(_database, "slow");
        var fastRunner = Runner(fast, _node);
        var slowRunner = Runner(slow, _node, new EventLogOptions { RowsPerRead = 20 });

        fastRunner.RunAvailable();
        slowRunner.RunStep();
        var slowSoFar = OutputConsumer.Output(_database, "slow").Count;
        Append(300, 100);
        slowRunner.RunAvailable();
        fastRunner.RunAvailable();

        Assert.InRange(slowSoFar, 1, 299);
        Assert.Equal(MessageIds(0, 400), OutputConsumer.Output(_database, "fast").Select(o => o.MessageId).Order());
        Assert.Equal(MessageIds(0, 400), OutputConsumer.Output(_database, "slow").Select(o => o.MessageId).Order());
        AssertEachUsersOrder(OutputConsumer.Output(_database, "slow"));
    }

    [Fact]
    public void A_consumer_that_reads_a_multiple_of_the_rows_takes_that_many_in_a_step()
    {
        Append(0, 300);
        var available = _log.ReadFrom(0, 1000, null).Count;
        var wide = new WideConsumer(new OutputConsumer(_database, "wide"), multiple: 4);
        var runner = Runner(wide, _node, new EventLogOptions { RowsPerRead = 10 });

        runner.RunStep();
        runner.RunAvailable();

        Assert.True(available > 40, $"the test needs more than 40 rows; it has {available}");
        Assert.Equal(40, wide.RowsPerStep[0]);
        Assert.Equal(available, wide.RowsPerStep.Sum());
    }

    [Fact]
    public void A_consumer_reads_no_more_bytes_a_step_than_it_asks_for_and_always_one_row()
    {
        Append(0, 300);
        var all = _log.ReadFrom(0, 1000, null);
        var threeRows = all.Take(3).Sum(r => (long)r.Messages.Length);
        var small = new WideConsumer(new OutputConsumer(_database, "small"), multiple: 100, maxReadBytes: threeRows);
        var runner = Runner(small, _node, new EventLogOptions { RowsPerRead = 10 });

        runner.RunAvailable();

        // A read stops at the row that reaches the bytes asked for: what came before it is under them.
        Assert.All(small.Steps, step => Assert.True(step.Count >= 1 && step.SkipLast(1).Sum(r => (long)r.Messages.Length) < threeRows));
        Assert.Contains(small.Steps, step => step.Count < 10);
        Assert.Equal(all.Count, small.Steps.Sum(step => step.Count));
    }

    [Fact]
    public void Woken_for_appends_a_runner_reads_until_a_read_comes_back_short_and_not_once_more()
    {
        Append(0, 300);
        var log = new ReadCountingLog(_log);
        var rows = _log.ReadFrom(0, 1000, null).Count;
        var runner = new ConsumerRunner(new OutputConsumer(_database, "router-like"), log, new SqliteConsumerCursors(_database), _node, new LogAppended(), new EventLogOptions { RowsPerRead = rows - 10 }, _backlog, _time, NullLogger<ConsumerRunner>.Instance);

        runner.RunAvailable();

        Assert.Equal(MessageIds(0, 300), OutputConsumer.Output(_database, "router-like").Select(o => o.MessageId).Order());
        Assert.Equal(2, log.Reads);
    }

    [Fact]
    public async Task On_PostgreSQL_a_node_alone_reads_once_more_after_a_short_read_since_a_commit_may_become_readable_late()
    {
        using var backend = new PostgresBackend();
        using var store = backend.Open();
        for (var i = 0; i < 300; i += 10)
        {
            store.EventLog.Append([new EventBatch("web", [.. Enumerable.Range(i, 10).Select(n => EventLogContract.Event($"m{n}", $"user-{n % 13}", store.EventLog.PartitionCount))], i)], i, 0);
        }

        EventLogContract.Settle(store.EventLog, 300);
        var node = new PartitionOwnership(store.Leases, store.EventLog, new EventLogOptions(), _time, NullLogger<PartitionOwnership>.Instance);
        await node.StartAsync(CancellationToken.None);
        var log = new ReadCountingLog(store.EventLog);
        var consumer = new QuietConsumer();
        var rows = store.EventLog.ReadFrom(0, 1000, null).Count;
        var runner = new ConsumerRunner(consumer, log, store.Cursors, node, new LogAppended(), new EventLogOptions { RowsPerRead = rows - 10 }, _backlog, _time, NullLogger<ConsumerRunner>.Instance);

        runner.RunAvailable();

        Assert.Equal(300, consumer.Seen);
        Assert.Equal(3, log.Reads);
        await node.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task On_PostgreSQL_a_node_that_shares_the_log_ends_a_round_at_a_short_read()
    {
        await using var nodes = await TwoNodes.StartAsync(_time);
        for (var i = 0; i < 300; i += 10)
        {
            nodes.Append(i, 10);
        }

        EventLogContract.Settle(nodes.Log, 300);
        var log = new ReadCountingLog(nodes.Log);
        var consumer = new QuietConsumer();
        // One row a commit (one user, one partition): 30 rows, a full read of 20 and a short one of 10.
        var runner = nodes.Runner(consumer, new LogAppended(), new EventLogOptions { RowsPerRead = 20 }, _backlog, log);

        runner.RunAvailable();

        Assert.Equal(300, consumer.Seen);
        Assert.Equal(2, log.Reads);
    }

    [Fact]
    public async Task On_PostgreSQL_a_node_that_shares_the_log_looks_again_after_a_round_ended_at_a_short_read_for_a_commit_that_became_readable_late()
    {
        await using var nodes = await TwoNodes.StartAsync(_time);
        nodes.Append(0, 1);
        nodes.Append(1, 1);
        EventLogContract.Settle(nodes.Log, 2);
        // The second commit is left out of the first read, as a commit not readable yet when the read that
        // ended the round was made; no wake-up will come for it, and the idle poll is too long to find it.
        var log = new ReadCountingLog(nodes.Log) { HiddenFromFirstRead = nodes.Log.ReadFrom(0, 10, null)[1].Position };
        var consumer = new QuietConsumer();
        var runner = nodes.Runner(consumer, new LogAppended(), new EventLogOptions { IdlePoll = TimeSpan.FromHours(1) }, _backlog, log);

        await runner.StartAsync(CancellationToken.None);

        await Eventually.True(() => consumer.Seen == 2);
        Assert.Equal(1, log.RowsHidden);
        await runner.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task On_a_node_that_shares_the_log_a_round_that_consumed_rows_while_more_were_appended_waits_out_the_busy_read_interval()
    {
        await using var nodes = await TwoNodes.StartAsync(_time);
        nodes.Append(0, 10);
        var appended = new LogAppended();
        var consumer = new AppendingConsumer(() =>
        {
            nodes.Append(10, 10);
            appended.Notify();
        });
        // Within the leases' trust (15 s less 3), so that moving the clock by it leaves the partitions held.
        var interval = TimeSpan.FromSeconds(10);
        var runner = nodes.Runner(consumer, appended, new EventLogOptions { BusyReadInterval = interval }, _backlog);

        await runner.StartAsync(CancellationToken.None);
        await Eventually.True(() => consumer.Seen >= 10);
        // The loop has rows to read and a wake-up set, so only the interval holds it back (a fake clock's: it passes only when told).
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        var seenBeforeTheInterval = consumer.Seen;
        _time.Advance(interval);

        await Eventually.True(() => consumer.Seen == 20);
        await runner.StopAsync(CancellationToken.None);
        Assert.Equal(10, seenBeforeTheInterval);
    }

    [Fact]
    public async Task On_a_node_that_shares_the_log_a_round_with_nothing_appended_during_it_leaves_the_next_append_to_be_read_at_once()
    {
        await using var nodes = await TwoNodes.StartAsync(_time);
        nodes.Append(0, 10);
        var appended = new LogAppended();
        var consumer = new QuietConsumer();
        var runner = nodes.Runner(consumer, appended, new EventLogOptions { BusyReadInterval = TimeSpan.FromSeconds(10) }, _backlog);

        await runner.StartAsync(CancellationToken.None);
        await Eventually.True(() => consumer.Seen == 10);
        // The round is over well before this: what is appended next comes after it, not during it.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        nodes.Append(10, 10);
        appended.Notify();

        // The fake clock never moves here: a wait for the interval would never end.
        await Eventually.True(() => consumer.Seen == 20);
        await runner.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_node_alone_reads_again_at_once_while_more_is_appended_without_waiting_the_busy_read_interval()
    {
        Append(0, 10);
        var appended = new LogAppended();
        var consumer = new AppendingConsumer(() =>
        {
            Append(10, 10);
            appended.Notify();
        });
        var runner = new ConsumerRunner(consumer, _log, new SqliteConsumerCursors(_database), _node, appended, new EventLogOptions { BusyReadInterval = TimeSpan.FromMinutes(1) }, _backlog, _time, NullLogger<ConsumerRunner>.Instance);

        await runner.StartAsync(CancellationToken.None);

        // The fake clock never moves here: a wait for the interval would never end.
        await Eventually.True(() => consumer.Seen == 20);
        await runner.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void A_read_cut_short_by_the_bytes_it_may_hold_is_followed_by_another()
    {
        // 40 messages of 60 KB, a log row each: 2.4 MB, more than one read holds, in fewer rows than it may return.
        var padding = new string('x', 60 * 1024);
        for (var i = 0; i < 40; i++)
        {
            var body = System.Text.Encoding.UTF8.GetBytes($$$"""{"messageId":"m{{{i}}}","userId":"u","type":"track","event":"E","properties":{"padding":"{{{padding}}}"}}""");
            _log.Append([new EventBatch("web", [new PendingEvent($"m{i}", checkDuplicate: true, "track", body, EventPartitions.Of("web", "u", _log.PartitionCount))], i)], i, 0);
        }

        var log = new ReadCountingLog(_log);
        var consumer = new QuietConsumer();
        var runner = new ConsumerRunner(consumer, log, new SqliteConsumerCursors(_database), _node, new LogAppended(), new EventLogOptions(), _backlog, _time, NullLogger<ConsumerRunner>.Instance);

        runner.RunAvailable();

        Assert.Equal(40, consumer.Seen);
        Assert.Equal(2, log.Reads);
    }

    [Fact]
    public void A_new_runner_on_the_same_store_resumes_where_the_consumer_last_committed()
    {
        Append(0, 120);
        Runner(new OutputConsumer(_database, "router-like"), _node).RunAvailable();
        Append(120, 30);

        var restarted = Runner(new OutputConsumer(_database, "router-like"), _node);
        restarted.RunAvailable();

        Assert.Equal(MessageIds(0, 150), OutputConsumer.Output(_database, "router-like").Select(o => o.MessageId).Order());
    }

    [Fact]
    public async Task A_consumer_whose_lease_was_taken_writes_nothing_and_its_node_lets_the_partition_go()
    {
        Append(0, 50);
        var consumer = new OutputConsumer(_database, "fenced");
        var runner = Runner(consumer, _node);
        var other = Ownership(new EventLogOptions { TakeOverAtStart = true });
        await other.StartAsync(CancellationToken.None);

        runner.RunAvailable();

        Assert.Empty(OutputConsumer.Output(_database, "fenced"));
        Assert.Equal(0, consumer.Commits);
        Assert.True(_node.Held.Count < _log.PartitionCount);
        Assert.Equal(_log.PartitionCount, other.Held.Count);
        var successor = Runner(new OutputConsumer(_database, "fenced"), other);
        successor.RunAvailable();
        Assert.Equal(MessageIds(0, 50), OutputConsumer.Output(_database, "fenced").Select(o => o.MessageId).Order());
        await other.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_node_whose_renewals_stopped_commits_nothing_once_its_lease_can_no_longer_be_trusted()
    {
        Append(0, 10);
        var consumer = new OutputConsumer(_database, "late");
        // A node whose renewal loop does not run in this test's time: its renewals stopped. (The fixture's
        // node renews every 5 s of the fake clock, on a thread of its own, which would race this step.)
        var stalled = Ownership(new EventLogOptions { RenewEvery = TimeSpan.FromHours(1) });
        await stalled.StartAsync(CancellationToken.None);
        var runner = Runner(consumer, stalled);

        // 13 s after the claim: past the 15 s lease less the 3 s margin, with no renewal in between.
        _time.SetUtcNow(_time.GetUtcNow() + TimeSpan.FromSeconds(13));
        var read = runner.RunStep();

        Assert.Equal(0, read);
        Assert.Empty(OutputConsumer.Output(_database, "late"));
        stalled.RenewAndClaim();
        runner.RunAvailable();
        Assert.Equal(10, OutputConsumer.Output(_database, "late").Count);
        await stalled.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void A_consumer_that_had_nothing_to_commit_has_its_cursors_saved_at_the_scan_now_and_then()
    {
        Append(0, 40);
        var quiet = new QuietConsumer();
        var runner = Runner(quiet, _node);
        var cursors = new SqliteConsumerCursors(_database);

        runner.RunAvailable();
        Append(40, 40);
        runner.RunAvailable();
        var before = cursors.Read("quiet");
        _time.Advance(TimeSpan.FromSeconds(6));
        _node.RenewAndClaim();
        runner.RunAvailable();
        var after = cursors.Read("quiet");

        Assert.Equal(80, quiet.Seen);
        Assert.All(after.Values, position => Assert.Equal(_log.Head(), position));
        Assert.Contains(before.Values, position => position < _log.Head());
    }

    [Fact]
    public async Task A_yielding_consumer_waits_for_the_router_to_catch_up_then_reads_everything()
    {
        Append(0, 300);
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var options = new EventLogOptions { RowsPerRead = 20, MaxYield = TimeSpan.FromMinutes(5) };
        // A router slow enough that a consumer not giving way would step in between.
        var router = Runner(new RecordingConsumer("router", yields: false, order, pause: TimeSpan.FromMilliseconds(20)), _node, options);
        var profiles = new RecordingConsumer("profiles", yields: true, order, pause: TimeSpan.Zero);
        var profilesRunner = Runner(profiles, _node, options);

        // The router has read a full page: more is waiting, so it is behind.
        router.RunStep();
        Assert.True(_backlog.AnyBehind);
        await profilesRunner.StartAsync(CancellationToken.None);
        await router.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (profiles.Seen < 300)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the yielding consumer read {profiles.Seen} of 300 messages in 30 s");
            await Task.Delay(20);
        }

        await profilesRunner.StopAsync(CancellationToken.None);
        await router.StopAsync(CancellationToken.None);
        var steps = order.ToList();
        Assert.False(_backlog.AnyBehind);
        Assert.True(steps.IndexOf("profiles") > steps.LastIndexOf("router"), $"profiles stepped before the router caught up: {string.Join(" ", steps)}");
    }

    /// <summary>Counts what it reads and says, in a queue shared with another, when it took a step (which lasts <paramref name="pause"/>); commits nothing.</summary>
    private sealed class RecordingConsumer(string name, bool yields, System.Collections.Concurrent.ConcurrentQueue<string> order, TimeSpan pause) : IEventLogConsumer
    {
        public string Name => name;

        public ConsumerStart Start => ConsumerStart.Beginning;

        public bool Yields => yields;

        public int Seen { get; private set; }

        public void Consume(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances)
        {
            order.Enqueue(name);
            Thread.Sleep(pause);
            Seen += EventLogContract.MessageIds(rows).Count();
        }
    }

    /// <summary>Reads everything and commits nothing, as the router does for sources without destinations.</summary>
    private sealed class QuietConsumer : IEventLogConsumer
    {
        public string Name => "quiet";

        public ConsumerStart Start => ConsumerStart.Beginning;

        public int Seen { get; private set; }

        public void Consume(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances) => Seen += EventLogContract.MessageIds(rows).Count();
    }

    /// <summary>
    /// Two nodes on a PostgreSQL store, each holding its share of the partitions, and the events of one
    /// user whose partition the first holds, for runners on that node.
    /// </summary>
    private sealed class TwoNodes : IAsyncDisposable
    {
        private readonly PostgresBackend _backend;
        private readonly StoreHandle _store;
        private readonly PartitionOwnership _node;
        private readonly PartitionOwnership _other;
        private readonly FakeTimeProvider _time;
        private readonly string _user;

        private TwoNodes(PostgresBackend backend, StoreHandle store, PartitionOwnership node, PartitionOwnership other, FakeTimeProvider time)
        {
            (_backend, _store, _node, _other, _time) = (backend, store, node, other, time);
            _user = Enumerable.Range(0, 1000).Select(n => $"user-{n}").First(user => node.Held.Any(lease => lease.Partition == EventPartitions.Of("web", user, store.EventLog.PartitionCount)));
        }

        public IEventLog Log => _store.EventLog;

        public static async Task<TwoNodes> StartAsync(FakeTimeProvider time)
        {
            var backend = new PostgresBackend();
            var store = backend.Open();
            var node = Ownership(store, "node:1", time);
            await node.StartAsync(CancellationToken.None);
            var other = Ownership(store, "other:1", time);
            await other.StartAsync(CancellationToken.None);
            node.RenewAndClaim();
            other.RenewAndClaim();
            Assert.InRange(node.Held.Count, 1, store.EventLog.PartitionCount - 1);
            return new TwoNodes(backend, store, node, other, time);
        }

        /// <summary>Appends the user's events <paramref name="from"/> on, in one commit.</summary>
        public void Append(int from, int count) =>
            Log.Append([new EventBatch("web", [.. Enumerable.Range(from, count).Select(n => EventLogContract.Event($"m{n}", _user, Log.PartitionCount))], from)], from, 0);

        public ConsumerRunner Runner(IEventLogConsumer consumer, LogAppended appended, EventLogOptions options, ForegroundBacklog backlog, IEventLog? log = null) =>
            new(consumer, log ?? Log, _store.Cursors, _node, appended, options, backlog, _time, NullLogger<ConsumerRunner>.Instance);

        public async ValueTask DisposeAsync()
        {
            await _other.StopAsync(CancellationToken.None);
            await _node.StopAsync(CancellationToken.None);
            _store.Dispose();
            _backend.Dispose();
        }

        private static PartitionOwnership Ownership(StoreHandle store, string name, FakeTimeProvider time) =>
            new(store.Leases, store.EventLog, new EventLogOptions { TakeOverAtStart = false, NodeName = name }, time, NullLogger<PartitionOwnership>.Instance);
    }

    /// <summary>Counts what it is handed, and appends more the first time, while its round is under way.</summary>
    private sealed class AppendingConsumer(Action appendMore) : IEventLogConsumer
    {
        private int _seen;
        private bool _appended;

        public string Name => "appending";

        public ConsumerStart Start => ConsumerStart.Beginning;

        public int Seen => Volatile.Read(ref _seen);

        public void Consume(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances)
        {
            Interlocked.Add(ref _seen, EventLogContract.MessageIds(rows).Count());
            if (!_appended)
            {
                _appended = true;
                appendMore();
            }
        }
    }

    /// <summary>The store's own log, counting the reads a runner makes of it; the first read can leave out a row and those after it.</summary>
    private sealed class ReadCountingLog(IEventLog log) : IEventLog
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        /// <summary>The position from which the first read returns nothing, as if its commit were not readable yet.</summary>
        public long? HiddenFromFirstRead { get; init; }

        /// <summary>The rows the first read left out.</summary>
        public int RowsHidden { get; private set; }

        public int PartitionCount => log.PartitionCount;

        public bool ReadableOnCommit => log.ReadableOnCommit;

        public int ConcurrentAppends => log.ConcurrentAppends;

        public IReadOnlyList<LogRow> ReadFrom(long after, int maxRows, IReadOnlySet<int>? partitions, long maxBytes = IEventLog.MaxReadBytes)
        {
            var rows = log.ReadFrom(after, maxRows, partitions, maxBytes);
            if (Interlocked.Increment(ref _reads) > 1 || HiddenFromFirstRead is not { } hidden)
            {
                return rows;
            }

            var shown = rows.Where(r => r.Position < hidden).ToList();
            RowsHidden = rows.Count - shown.Count;
            return shown;
        }

        public void Append(IReadOnlyList<EventBatch> group, long now, long dedupeSince) => log.Append(group, now, dedupeSince);

        public IReadOnlyList<LogRow> Read(int partition, long after, int maxRows) => log.Read(partition, after, maxRows);

        public long Head() => log.Head();

        public IReadOnlyDictionary<int, long> FirstUnreadReceivedAt(IReadOnlyDictionary<int, long> cursors) => log.FirstUnreadReceivedAt(cursors);

        public EventPage ReadNewest(string sourceId, int limit, EventPosition? from, int maxBytes) => log.ReadNewest(sourceId, limit, from, maxBytes);

        public bool Rewrite(long position, byte[] messages) => log.Rewrite(position, messages);

        public void ProbeCommit(long now) => log.ProbeCommit(now);

        public int PruneMessageIds(long olderThan, int max) => log.PruneMessageIds(olderThan, max);

        public long DropBefore(long olderThan, int max, RetentionScope? scope = null) => log.DropBefore(olderThan, max, scope);

        public void Dispose()
        {
        }
    }

    internal static void AssertEachUsersOrder(IEnumerable<(string MessageId, string User, long Position)> output)
    {
        foreach (var user in output.GroupBy(o => o.User))
        {
            var numbers = user.Select(o => int.Parse(o.MessageId.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(numbers.Order(), numbers);
        }
    }

    private static IEnumerable<string> MessageIds(int from, int count) => Enumerable.Range(from, count).Select(i => $"m{i}").Order();

    /// <summary>A consumer that asks for <paramref name="multiple"/> times the rows of a read and at most <paramref name="maxReadBytes"/>, and counts the rows of each step.</summary>
    private sealed class WideConsumer(IEventLogConsumer inner, int multiple, long maxReadBytes = IEventLog.MaxReadBytes) : IEventLogConsumer
    {
        public long MaxReadBytes => maxReadBytes;

        public List<IReadOnlyList<LogRow>> Steps { get; } = [];

        public List<int> RowsPerStep => [.. Steps.Select(step => step.Count)];

        public string Name => inner.Name;

        public ConsumerStart Start => inner.Start;

        public int RowsPerReadMultiple => multiple;

        public void Consume(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances)
        {
            Steps.Add(rows);
            inner.Consume(rows, advances);
        }
    }

    private void Append(int from, int count)
    {
        for (var i = from; i < from + count; i += 10)
        {
            var batch = Enumerable.Range(i, Math.Min(10, from + count - i)).Select(n => EventLogContract.Event($"m{n}", $"user-{n % 13}", _log.PartitionCount)).ToList();
            _log.Append([new EventBatch("web", batch, i)], i, 0);
        }
    }

    private PartitionOwnership Ownership(EventLogOptions options) =>
        new(new SqlitePartitionLeases(_database), _log, options, _time, NullLogger<PartitionOwnership>.Instance);

    private ConsumerRunner Runner(IEventLogConsumer consumer, PartitionOwnership node, EventLogOptions? options = null) =>
        new(consumer, _log, new SqliteConsumerCursors(_database), node, new LogAppended(), options ?? new EventLogOptions(), _backlog, _time, NullLogger<ConsumerRunner>.Instance);
}
