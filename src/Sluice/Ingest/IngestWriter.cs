using System.Diagnostics;
using System.Collections.Concurrent;
using Sluice.Observability;
using Sluice.EventLog;

namespace Sluice.Ingest;

/// <summary>
/// Group commit: requests queue their normalized messages here and wait; a writer thread takes everything
/// queued, writes it in one transaction (one disk flush for the whole group) and then releases
/// every waiting request. Where the store allows commits side by side (<see cref="IEventLog.ConcurrentAppends"/>),
/// more writers take turns, a second starting while one commits only when enough is queued
/// (<see cref="IngestOptions.SideBySideCommitEvents"/>). Memory is bounded by <see cref="IngestOptions.MaxQueuedBytes"/>.
/// </summary>
internal sealed partial class IngestWriter : IDisposable
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

    // A lock-free queue and a wake-up signal: a Channel's lock, taken for every item by the writer's
    // reads and every request's write, was the most contended lock under load (measured).
    private readonly ConcurrentQueue<Waiting> _queue = new();
    private readonly ManualResetEventSlim _wake = new(initialState: false, spinCount: 0);
    private volatile bool _stopping;
    private readonly IEventLog _store;
    private readonly LogAppended _appended;
    private readonly IngestOptions _options;
    private readonly TimeProvider _time;
    private readonly SluiceMetrics _metrics;
    private readonly ILogger<IngestWriter> _logger;
    private readonly Thread[] _threads;
    private long _queuedBytes;
    private long _queuedEvents;
    private int _committing;
    private long _nextPrune;

    private string? _storeProblem;
    private long _nextProbe;

    public IngestWriter(IEventLog store, LogAppended appended, IngestOptions options, TimeProvider time, SluiceMetrics metrics, ILogger<IngestWriter> logger)
    {
        _store = store;
        _appended = appended;
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _threads = [.. Enumerable.Range(0, Math.Max(1, store.ConcurrentAppends)).Select(i => new Thread(Run) { IsBackground = true, Name = $"sluice-ingest-writer-{i}" })];
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>The log's partition count, for the partition of each message a request brings.</summary>
    public int PartitionCount => _store.PartitionCount;

    /// <summary>True when a request of this size would push the queue past its bound: answer 503 without reading more.</summary>
    public bool IsSaturated => Interlocked.Read(ref _queuedBytes) >= _options.MaxQueuedBytes;

    /// <summary>
    /// Queues a batch for the next group commit. The task completes once it is durable, or faults
    /// when the store failed (the caller answers 503 so that the client retries).
    /// Returns null when the queue is full or the writer is stopping.
    /// </summary>
    public Task? TryEnqueue(EventBatch batch, long bytes)
    {
        if (Interlocked.Add(ref _queuedBytes, bytes) > _options.MaxQueuedBytes)
        {
            Interlocked.Add(ref _queuedBytes, -bytes);
            return null;
        }

        if (_stopping)
        {
            Interlocked.Add(ref _queuedBytes, -bytes);
            return null;
        }

        var waiting = new Waiting(batch, bytes);
        _queue.Enqueue(waiting);
        // After the enqueue, and a full fence (the interlocked add) before reading _committing: a writer
        // that ends its commit (an interlocked decrement) and then looks at the queue either finds this
        // request, or this request finds the writer no longer committing and wakes it.
        var queued = Interlocked.Add(ref _queuedEvents, batch.Events.Count);
        // While a writer commits, what is queued waits for it (it looks at the queue again when its commit
        // ends): waking a writer for each request costs a thread switch each, and a second writer only
        // takes enough for a commit of its own.
        if (Volatile.Read(ref _committing) == 0 || queued >= _options.SideBySideCommitEvents)
        {
            _wake.Set();
        }
        return waiting.Done.Task;
    }

    /// <summary>Stops taking requests, commits what is queued, and waits for the writer threads.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        while (_queue.TryDequeue(out var late))
        {
            // Queued in the instant the writer stopped: not stored, so the request answers 503 and the client retries.
            late.Done.TrySetException(new ObjectDisposedException(nameof(IngestWriter)));
        }

        _wake.Dispose();
    }

    private void Run()
    {
        var group = new List<Waiting>();
        var batches = new List<EventBatch>();
        while (true)
        {
            // Reset before looking: a request queued after the look sets the event again, so no wake-up is lost.
            _wake.Reset();
            if (!_stopping && Volatile.Read(ref _committing) > 0 && Interlocked.Read(ref _queuedEvents) < _options.SideBySideCommitEvents)
            {
                // Too little for a commit of its own beside the one under way: that writer takes it when its
                // commit ends (it looks at the queue again before it waits).
                _wake.Wait();
                continue;
            }

            var events = 0;
            long bytes = 0;
            while (events < _options.MaxGroupEvents && _queue.TryDequeue(out var waiting))
            {
                group.Add(waiting);
                batches.Add(waiting.Batch);
                events += waiting.Batch.Events.Count;
                bytes += waiting.Bytes;
            }

            if (group.Count == 0)
            {
                // Stop only once the queue is empty: what was accepted into it is committed first. Set again on the
                // way out: this writer's reset may have taken the stop's wake-up from another writer.
                if (_stopping)
                {
                    _wake.Set();
                    return;
                }

                _wake.Wait();
                continue;
            }

            // Counted as committing before the events leave the queue's count: a writer looking now sees one or the other.
            Interlocked.Increment(ref _committing);
            Interlocked.Add(ref _queuedEvents, -events);
            try
            {
                Commit(group, batches, events);
            }
            finally
            {
                Interlocked.Decrement(ref _committing);
            }

            Interlocked.Add(ref _queuedBytes, -bytes);
            _metrics.WriterQueueBytes.Set(Interlocked.Read(ref _queuedBytes));
            group.Clear();
            batches.Clear();
            PruneWhenDue();
        }
    }

    private void Commit(List<Waiting> group, List<EventBatch> batches, int events)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var started = Stopwatch.GetTimestamp();
        try
        {
            _store.Append(batches, now, now - (long)_options.DedupeWindow.TotalMilliseconds);
        }
        catch (Exception exception)
        {
            // The first failure carries the stack; while the store stays unable (a full disk), one line each.
            if (Interlocked.Exchange(ref _storeProblem, exception.Message) is null)
            {
                LogCommitFailed(exception, events);
            }
            else
            {
                LogCommitStillFailing(events, exception.Message);
            }

            foreach (var waiting in group)
            {
                waiting.Done.TrySetException(exception);
            }

            return;
        }

        if (Interlocked.Exchange(ref _storeProblem, null) is not null)
        {
            LogCommitsResumed();
        }

        _metrics.CommitSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        _appended.Notify();
        _metrics.CommitGroupEvents.Observe(events);
        foreach (var waiting in group)
        {
            waiting.Done.TrySetResult();
        }
    }

    private void PruneWhenDue()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var next = Interlocked.Read(ref _nextPrune);
        // One writer prunes at a time: the one that moves the time of the next prune.
        if (now < next || Interlocked.CompareExchange(ref _nextPrune, now + (long)PruneInterval.TotalMilliseconds, next) != next)
        {
            return;
        }

        try
        {
            // A bounded slice per group keeps any one pause short; pruning catches up over several groups.
            var pruned = _store.PruneMessageIds(now - (long)_options.DedupeWindow.TotalMilliseconds, 20_000);
            if (pruned == 20_000)
            {
                Interlocked.Exchange(ref _nextPrune, now);
            }
        }
        catch (Exception exception)
        {
            LogPruneFailed(exception);
        }
    }

    /// <summary>Why the last commit failed, or null when it succeeded: <c>/health</c> answers 503 while this is set.</summary>
    public string? StoreProblem => Volatile.Read(ref _storeProblem);

    /// <summary>
    /// Whether the store can commit now. While commits fail, a probe commit (at most one a second)
    /// learns when they can again, since a node taken out of a load balancer gets no events to try.
    /// </summary>
    public string? CheckStore()
    {
        if (StoreProblem is null)
        {
            return null;
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (Interlocked.Read(ref _nextProbe) > now)
        {
            return StoreProblem;
        }

        Interlocked.Exchange(ref _nextProbe, now + 1_000);
        try
        {
            _store.ProbeCommit(now);
            if (Interlocked.Exchange(ref _storeProblem, null) is not null)
            {
                LogCommitsResumed();
            }
        }
        catch (Exception exception)
        {
            Interlocked.Exchange(ref _storeProblem, exception.Message);
        }

        return StoreProblem;
    }

    [LoggerMessage(EventId = EventIds.CommitFailed, Level = LogLevel.Error, Message = "Group commit of {Events} events failed; their requests are answered 503 so the clients retry")]
    private partial void LogCommitFailed(Exception exception, int events);

    [LoggerMessage(EventId = EventIds.CommitStillFailing, Level = LogLevel.Warning, Message = "Group commit of {Events} events failed again: {Reason}")]
    private partial void LogCommitStillFailing(int events, string reason);

    [LoggerMessage(EventId = EventIds.CommitsResumed, Level = LogLevel.Information, Message = "The store commits again")]
    private partial void LogCommitsResumed();

    [LoggerMessage(EventId = EventIds.PruneFailed, Level = LogLevel.Warning, Message = "Pruning the de-duplication window failed; it is retried in a minute")]
    private partial void LogPruneFailed(Exception exception);

    private sealed class Waiting(EventBatch batch, long bytes)
    {
        public EventBatch Batch { get; } = batch;

        public long Bytes { get; } = bytes;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
