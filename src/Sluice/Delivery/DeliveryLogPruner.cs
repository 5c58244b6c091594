using Sluice.EventLog;
using Sluice.Observability;
using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>
/// Deletes final delivery records past their retention: the default (<see cref="RetentionSettings.Deliveries"/>,
/// else <see cref="DeliveryOptions.Retention"/>) for every destination but those with their own
/// (<see cref="RetentionSettings.Destinations"/>). A slice at a time with a pause between, so that no delete
/// holds the store's write lock for long.
/// </summary>
internal sealed partial class DeliveryLogPruner(IDeliveryStore store, DeliveryOptions options, IRetentionSettings settings, TimeProvider time, ILogger<DeliveryLogPruner> logger) : BackgroundService
{
    private const int Slice = 5_000;
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan SlicePause = TimeSpan.FromMilliseconds(50);

    /// <summary>Prunes everything past the retention now; returns how many records went.</summary>
    public int PruneOnce()
    {
        var now = time.GetUtcNow();
        var current = settings.Current();
        var fallback = current.Deliveries ?? options.Retention;
        var keptLonger = current.Destinations.Where(d => d.Value > fallback).Select(d => d.Key).ToList();
        var total = Prune(now.Subtract(fallback).ToUnixTimeMilliseconds(), new RetentionScope(null, keptLonger));
        foreach (var (destination, retention) in current.Destinations)
        {
            total += Prune(now.Subtract(retention).ToUnixTimeMilliseconds(), new RetentionScope(destination, []));
        }

        return total;
    }

    private int Prune(long before, RetentionScope scope)
    {
        var total = 0;
        int pruned;
        while ((pruned = store.PruneFinished(before, Slice, scope)) > 0)
        {
            total += pruned;
            if (pruned < Slice)
            {
                break;
            }

            Thread.Sleep(SlicePause);
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
                PruneOnce();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogPruneFailed(exception);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = EventIds.DeliveryLogPruneFailed, Level = LogLevel.Warning, Message = "Pruning the delivery log failed; it is retried at the next interval")]
    private partial void LogPruneFailed(Exception exception);
}
