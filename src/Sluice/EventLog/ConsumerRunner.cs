using Sluice.Observability;

namespace Sluice.EventLog;

/// <summary>
/// Runs one <see cref="IEventLogConsumer"/>: reads the rows after its cursors in the partitions this
/// node holds, hands them over, and moves its in-memory cursors once the consumer has committed.
/// Cursors are loaded from the store whenever the held leases change, so a partition taken over from
/// another node (or from this node before a crash) resumes exactly where its last commit left it.
/// </summary>
internal sealed partial class ConsumerRunner(
    IEventLogConsumer consumer,
    IEventLog log,
    IConsumerCursors cursors,
    PartitionOwnership ownership,
    LogAppended appended,
    EventLogOptions options,
    ForegroundBacklog backlog,
    TimeProvider time,
    ILogger<ConsumerRunner> logger) : BackgroundService
{
    private readonly WakeSignal _wake = appended.Subscribe();
    private readonly Lock _step = new();
    private IReadOnlyList<PartitionLease> _leases = [];
    private Dictionary<int, long> _cursors = [];

    // Where each cursor is known to be stored at least: what was loaded, or last saved here. A consumer
    // that commits with its output moves the stored cursor further; one that had nothing to commit does not.
    private Dictionary<int, long> _saved = [];
    private Dictionary<int, long> _epochs = [];
    private HashSet<int> _partitions = [];
    private long _scan;
    private bool _roundEnds;
    private long _savedAt;
    private bool _registered;

    /// <summary>
    /// Consumes everything readable now; returns the number of rows handed over. Where commits are
    /// readable when they return (SQLite) it stops at a read short of a full one: that read reached the
    /// end, and what is appended after it wakes the loop again. On PostgreSQL a node alone reads until a
    /// read finds nothing, and a node that shares the log stops at a short read too and looks again a
    /// moment later (<see cref="Loop"/>), since a short read there may have stopped below a commit still
    /// becoming readable, which no append announces again.
    /// </summary>
    public int RunAvailable()
    {
        lock (_step)
        {
            var total = 0;
            while (RunStep() is var rows and > 0)
            {
                total += rows;
                if (_roundEnds)
                {
                    break;
                }
            }

            return total;
        }
    }

    /// <summary>
    /// The loop runs on a thread of its own: a step blocks on the store, and the router's on the answers
    /// to what it sends, which would otherwise hold a pool thread that those answers' continuations need.
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Loop(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Loop(CancellationToken stoppingToken)
    {
        var lookAgain = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            var consumed = 0;
            try
            {
                consumed = consumer.Yields ? RunGivingWay(stoppingToken) : RunAvailable();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogConsumerFailed(exception, consumer.Name);
            }

            try
            {
                if (consumed > 0 && SharesTheLog)
                {
                    WaitWhileBusy(started, stoppingToken);
                    if (!log.ReadableOnCommit)
                    {
                        // The round ended at a short read, which may have stopped below a commit still becoming
                        // readable: the next round starts at an append's wake-up or, failing one, a moment later.
                        lookAgain = _wake.Wait(LookAgainAfter, stoppingToken) ? LookAgainTimes : 0;
                        continue;
                    }
                }

                if (consumed == 0 && lookAgain > 0)
                {
                    // Woken for an append that was not readable yet (a store may make a commit readable a
                    // moment after it returns: PostgreSQL's once every older transaction has ended): look
                    // again soon rather than at the next poll.
                    lookAgain--;
                    stoppingToken.WaitHandle.WaitOne(LookAgainAfter);
                    continue;
                }

                lookAgain = _wake.Wait(options.IdlePoll, stoppingToken) && !log.ReadableOnCommit ? LookAgainTimes : 0;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// This node reads only its share of the log: other nodes hold the rest of the partitions. Each of
    /// its reads takes only its share of every commit, so the reads an event costs grow with the nodes;
    /// such a node reads more sparingly. A node alone reads as before: both ways measured slower there
    /// (docs/decisions.md).
    /// </summary>
    private bool SharesTheLog => _partitions.Count > 0 && _partitions.Count < log.PartitionCount;

    /// <summary>
    /// After a round that consumed rows while more were appended (the wake-up is already set), the next
    /// round starts no sooner than <see cref="EventLogOptions.BusyReadInterval"/> after this one did, so
    /// that a read takes several commits again. A round with nothing appended during it waits for
    /// nothing: at light load an event is read as soon as it is committed.
    /// </summary>
    private void WaitWhileBusy(long started, CancellationToken stoppingToken)
    {
        if (options.BusyReadInterval <= TimeSpan.Zero || !_wake.IsSet)
        {
            return;
        }

        var rest = options.BusyReadInterval - time.GetElapsedTime(started);
        if (rest > TimeSpan.Zero)
        {
            Task.Delay(rest, time, stoppingToken).GetAwaiter().GetResult();
        }
    }

    /// <summary>Consumes what is readable, a step at a time, each after the foreground consumers have caught up (or <see cref="EventLogOptions.MaxYield"/> has passed).</summary>
    private int RunGivingWay(CancellationToken stoppingToken)
    {
        var total = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (backlog.AnyBehind && waited.Elapsed < options.MaxYield && !stoppingToken.WaitHandle.WaitOne(YieldPoll))
            {
            }

            int rows;
            lock (_step)
            {
                rows = RunStep();
            }

            if (rows == 0)
            {
                break;
            }

            total += rows;
            if (_roundEnds)
            {
                break;
            }
        }

        return total;
    }

    private static readonly TimeSpan YieldPoll = TimeSpan.FromMilliseconds(20);

    private static readonly TimeSpan LookAgainAfter = TimeSpan.FromMilliseconds(5);

    private const int LookAgainTimes = 4;

    /// <summary>One read and one hand-over; returns the rows read (0: nothing more now).</summary>
    internal int RunStep()
    {
        using var underWay = ownership.StepUnderWay();
        return Step();
    }

    private int Step()
    {
        if (!_registered)
        {
            cursors.Register(consumer.Name, consumer.Start);
            _registered = true;
        }

        var held = ownership.Held;
        // A renewal that kept every lease changes nothing; a lease lost or claimed (a new epoch) reloads the cursors.
        if (!held.SequenceEqual(_leases))
        {
            Load(held);
        }

        if (_partitions.Count == 0)
        {
            return 0;
        }

        var rowsPerRead = options.RowsPerRead * consumer.RowsPerReadMultiple;
        var rows = log.ReadFrom(_scan, rowsPerRead, _partitions, consumer.MaxReadBytes);
        // Short of the rows asked for and of the bytes a read stops at: nothing more was readable (on
        // PostgreSQL perhaps only for now: a node alone reads once more, one that shares the log looks again later).
        var shortRead = rows.Count < rowsPerRead && rows.Sum(r => (long)r.Messages.Length) < consumer.MaxReadBytes;
        _roundEnds = shortRead && (log.ReadableOnCommit || SharesTheLog);
        if (!consumer.Yields)
        {
            backlog.Report(consumer.Name, !shortRead);
        }

        if (rows.Count == 0)
        {
            SaveWhenDue(_scan);
            return 0;
        }

        var fresh = new List<LogRow>(rows.Count);
        var last = new Dictionary<int, long>();
        foreach (var row in rows)
        {
            // Rows at or before the partition's cursor were consumed before; reading from the lowest cursor passes over them.
            if (_cursors.TryGetValue(row.Partition, out var cursor) && row.Position > cursor)
            {
                fresh.Add(row);
                last[row.Partition] = row.Position;
            }
        }

        if (fresh.Count > 0)
        {
            var advances = last.Select(p => new CursorAdvance(consumer.Name, p.Key, p.Value, ownership.Owner, _epochs[p.Key])).ToList();
            try
            {
                consumer.Consume(fresh, advances);
            }
            catch (LeaseLostException lost)
            {
                LetGo(lost);
                return 0;
            }

            foreach (var (partition, position) in last)
            {
                _cursors[partition] = position;
            }
        }

        _scan = rows[^1].Position;
        SaveWhenDue(_scan);
        return rows.Count;
    }

    /// <summary>
    /// Cursors not stored with output still move: now and then every held cursor stored behind the
    /// scan goes to it (all rows up to the scan were handed over and returned), so a restart doesn't
    /// read again what was consumed without a commit, or a quiet stretch.
    /// </summary>
    private void SaveWhenDue(long scan)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now - _savedAt < (long)options.CursorSaveInterval.TotalMilliseconds)
        {
            return;
        }

        _savedAt = now;
        var behind = _saved.Where(c => c.Value < scan).Select(c => new CursorAdvance(consumer.Name, c.Key, scan, ownership.Owner, _epochs[c.Key])).ToList();
        if (behind.Count == 0)
        {
            return;
        }

        try
        {
            cursors.Commit(behind);
        }
        catch (LeaseLostException lost)
        {
            LetGo(lost);
            return;
        }

        foreach (var advance in behind)
        {
            _cursors[advance.Partition] = scan;
            _saved[advance.Partition] = scan;
        }
    }

    /// <summary>A commit was refused: the node re-checks its leases, and the next step reloads the cursors of what it still holds.</summary>
    private void LetGo(LeaseLostException lost)
    {
        ownership.Lost(lost.Partition);
        _leases = [];
    }

    private void Load(IReadOnlyList<PartitionLease> held)
    {
        var stored = cursors.Read(consumer.Name);
        _leases = held;
        _epochs = held.ToDictionary(l => l.Partition, l => l.Epoch);
        _cursors = held.ToDictionary(l => l.Partition, l => stored.GetValueOrDefault(l.Partition));
        _saved = new Dictionary<int, long>(_cursors);
        _partitions = [.. _epochs.Keys];
        _scan = _cursors.Count == 0 ? 0 : _cursors.Values.Min();
    }

    [LoggerMessage(EventId = EventIds.ConsumerFailed, Level = LogLevel.Error, Message = "Event log consumer {Consumer} failed; it reads again from its last commit")]
    private partial void LogConsumerFailed(Exception exception, string consumer);
}
