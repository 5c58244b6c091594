using Sluice.Observability;

namespace Sluice.EventLog;

/// <summary>
/// Removes events past their retention that every consumer has read, once an hour (and at start). The
/// default retention (<see cref="RetentionSettings.Events"/>, else <see cref="EventLogOptions.Retention"/>)
/// applies to every source but those with their own (<see cref="RetentionSettings.Sources"/>). PostgreSQL
/// drops whole days for the default when no source is kept longer; otherwise, and always on the embedded
/// store, rows go in slices with a pause between, so that ingest's commits go on between them (no DELETE storm).
/// Without any retention, events are kept.
/// </summary>
internal sealed partial class LogRetention(IEventLog log, EventLogOptions options, IRetentionSettings settings, TimeProvider time, ILogger<LogRetention> logger) : BackgroundService
{
    private const int Slice = 5_000;
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>The pause between two slices of one pass: the writer is free for ingest meanwhile.</summary>
    public TimeSpan SlicePause { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Removes what is past the retention now; returns how many events went.</summary>
    public async Task<long> RemoveOnceAsync(CancellationToken cancellation = default)
    {
        var now = time.GetUtcNow();
        var current = settings.Current();
        long total = 0;
        if ((current.Events ?? options.Retention) is { } fallback)
        {
            var keptLonger = current.Sources.Where(s => s.Value > fallback).Select(s => s.Key).ToList();
            total += await RemoveAsync(now.Subtract(fallback).ToUnixTimeMilliseconds(), new RetentionScope(null, keptLonger), cancellation);
        }

        foreach (var (source, retention) in current.Sources)
        {
            total += await RemoveAsync(now.Subtract(retention).ToUnixTimeMilliseconds(), new RetentionScope(source, []), cancellation);
        }

        return total;
    }

    private async Task<long> RemoveAsync(long before, RetentionScope scope, CancellationToken cancellation)
    {
        long total = 0;
        long removed;
        while ((removed = log.DropBefore(before, Slice, scope)) > 0)
        {
            total += removed;
            if (removed < Slice)
            {
                break;
            }

            await Task.Delay(SlicePause, time, cancellation);
        }

        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await RemoveOnceAsync(stoppingToken);
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
