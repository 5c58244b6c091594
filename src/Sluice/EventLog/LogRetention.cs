using Sluice.Observability;

namespace Sluice.EventLog;

/// <summary>
/// Removes events older than <see cref="EventLogOptions.Retention"/> that every consumer has read, once an
/// hour (and at start): the embedded store deletes in slices, PostgreSQL drops whole days on one node at
/// a time. Without a retention, events are kept.
/// </summary>
internal sealed partial class LogRetention(IEventLog log, EventLogOptions options, TimeProvider time, ILogger<LogRetention> logger) : BackgroundService
{
    private const int Slice = 5_000;
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>Removes what is past the retention now; returns how many events went.</summary>
    public long RemoveOnce()
    {
        if (options.Retention is not { } retention)
        {
            return 0;
        }

        var before = time.GetUtcNow().Subtract(retention).ToUnixTimeMilliseconds();
        long total = 0;
        long removed;
        do
        {
            removed = log.DropBefore(before, Slice);
            total += removed;
        }
        while (removed == Slice);

        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Retention is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                RemoveOnce();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogRetentionFailed(exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = EventIds.LogRetentionFailed, Level = LogLevel.Error, Message = "Removing events past the retention failed; tried again in an hour")]
    private partial void LogRetentionFailed(Exception exception);
}
