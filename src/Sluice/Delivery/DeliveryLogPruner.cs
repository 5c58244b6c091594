using Sluice.Observability;
using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>Deletes delivery records older than the retention, a slice at a time so that no single delete holds the store's write lock for long.</summary>
internal sealed partial class DeliveryLogPruner(IDeliveryStore store, DeliveryOptions options, TimeProvider time, ILogger<DeliveryLogPruner> logger) : BackgroundService
{
    private const int Slice = 5_000;
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    /// <summary>Prunes everything past the retention now; returns how many records went.</summary>
    public int PruneOnce()
    {
        var before = time.GetUtcNow().Subtract(options.Retention).ToUnixTimeMilliseconds();
        var total = 0;
        int pruned;
        do
        {
            pruned = store.PruneFinished(before, Slice);
            total += pruned;
        }
        while (pruned == Slice);

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
