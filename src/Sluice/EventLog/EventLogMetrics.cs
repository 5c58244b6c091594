using System.Globalization;
using Sluice.Observability;

namespace Sluice.EventLog;

/// <summary>
/// The log's state on /metrics, read when scraped: the partitions this node holds, the nodes alive, and
/// each consumer's lag in each partition it holds here. Each node reports only its own partitions, so
/// summing or taking the maximum across nodes counts each partition once.
/// </summary>
internal sealed class EventLogMetrics : IHostedService
{
    private readonly HashSet<(string Consumer, string Partition)> _reported = [];

    public EventLogMetrics(SluiceMetrics metrics, PartitionOwnership ownership, IEventLog log, IConsumerCursors cursors, IPartitionLeases leases, IEnumerable<IEventLogConsumer> consumers, EventLogOptions options, TimeProvider time)
    {
        var names = consumers.Select(c => c.Name).Distinct().ToList();
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            lock (_reported)
            {
                Collect(metrics, ownership, log, cursors, leases, names, options, time);
            }
        });
    }

    private void Collect(SluiceMetrics metrics, PartitionOwnership ownership, IEventLog log, IConsumerCursors cursors, IPartitionLeases leases, List<string> names, EventLogOptions options, TimeProvider time)
    {
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var held = ownership.Held;
            metrics.PartitionsHeld.Set(held.Count);
            metrics.ClusterNodes.Set(leases.ReadNodes(now - (long)options.LeaseDuration.TotalMilliseconds).Count);
            var reported = new HashSet<(string, string)>();
            foreach (var name in names)
            {
                var stored = cursors.Read(name);
                var mine = held.ToDictionary(l => l.Partition, l => stored.GetValueOrDefault(l.Partition));
                var first = log.FirstUnreadReceivedAt(mine);
                foreach (var partition in mine.Keys)
                {
                    var label = partition.ToString(CultureInfo.InvariantCulture);
                    var lag = first.TryGetValue(partition, out var receivedAt) ? Math.Max(0, now - receivedAt) / 1000.0 : 0;
                    metrics.ConsumerLagSeconds.WithLabels(name, label).Set(lag);
                    reported.Add((name, label));
                }
            }

            // A partition handed over is the other node's to report.
            foreach (var (consumer, partition) in _reported.Except(reported))
            {
                metrics.ConsumerLagSeconds.RemoveLabelled(consumer, partition);
            }

            _reported.Clear();
            _reported.UnionWith(reported);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
