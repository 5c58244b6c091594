using Sluice.Observability;
using Sluice.Routing;
using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>
/// Each destination's backlog and the age of its oldest waiting delivery, on /metrics. The backlog is
/// the store's, not this process's: read when scraped, so every node reports the same.
/// </summary>
internal sealed class BacklogMetrics : IHostedService
{
    public BacklogMetrics(SluiceMetrics metrics, IDeliveryStore store, RoutingTable table, TimeProvider time)
    {
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var waiting = store.Waiting().ToDictionary(w => w.DestinationId);
            foreach (var id in table.All.Select(d => d.Id).Union(waiting.Keys))
            {
                var (count, oldest) = waiting.TryGetValue(id, out var w) ? (w.Count, (now - w.OldestCreatedAt) / 1000.0) : (0, 0);
                metrics.Backlog.WithLabels(id).Set(count);
                metrics.OldestWaitingSeconds.WithLabels(id).Set(Math.Max(0, oldest));
            }
        });
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
