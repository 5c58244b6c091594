using Sluice.EventLog;

namespace Sluice.Debugger;

/// <summary>
/// The live debugger's reader of the log: every partition, whoever holds it, from the head of the
/// log when someone starts watching, with a cursor kept only in memory (it records nothing, so it has
/// nothing to resume). Reading the log rather than this process's commits shows every node's events.
/// </summary>
internal sealed partial class LiveTail(IEventLog log, LiveEvents live, LogAppended appended, ILogger<LiveTail> logger) : BackgroundService
{
    private const int RowsPerRead = 500;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(250);

    private readonly WakeSignal _wake = appended.Subscribe();
    private readonly Lock _lock = new();
    private long? _position;

    /// <summary>Reads what is new and hands it to the watchers; the loop's step, callable by tests.</summary>
    public void ReadAvailable()
    {
        lock (_lock)
        {
            ReadLocked();
        }
    }

    private void ReadLocked()
    {
        if (!live.HasWatchers)
        {
            // Nobody watches: nothing is read, and the next watcher starts from the head then.
            _position = null;
            return;
        }

        _position ??= log.Head();
        while (true)
        {
            var rows = log.ReadFrom(_position.Value, RowsPerRead, partitions: null);
            foreach (var row in rows)
            {
                live.Publish(row);
            }

            if (rows.Count < RowsPerRead)
            {
                if (rows.Count > 0)
                {
                    _position = rows[^1].Position;
                }

                return;
            }

            _position = rows[^1].Position;
        }
    }

    /// <summary>Starts reading at the head now, so that a watcher that just subscribed sees everything stored from here on.</summary>
    public void StartWatching()
    {
        lock (_lock)
        {
            _position ??= log.Head();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                ReadAvailable();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogTailFailed(exception);
            }

            try
            {
                // Woken by every append only while someone watches: otherwise ingest would wake this loop for nothing at each commit.
                if (live.HasWatchers)
                {
                    await _wake.WaitAsync(IdlePoll, stoppingToken);
                }
                else
                {
                    await Task.Delay(IdlePoll, stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = Observability.EventIds.LiveTailFailed, Level = LogLevel.Warning, Message = "The live debugger could not read the event log; it tries again")]
    private partial void LogTailFailed(Exception exception);
}
