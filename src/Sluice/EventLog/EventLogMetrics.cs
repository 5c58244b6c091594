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
    private readonly SluiceMetrics _metrics;
    private readonly PartitionOwnership _ownership;
    private readonly IEventLog _log;
    private readonly IConsumerCursors _cursors;
    private readonly IPartitionLeases _leases;
    private readonly List<string> _consumers;
    private readonly EventLogOptions _options;
    private readonly TimeProvider _time;

    public EventLogMetrics(SluiceMetrics metrics, PartitionOwnership ownership, IEventLog log, IConsumerCursors cursors, IPartitionLeases leases, IEnumerable<IEventLogConsumer> consumers, EventLogOptions options, TimeProvider time)
    {
        (_metrics, _ownership, _log, _cursors, _leases, _options, _time) = (metrics, ownership, log, cursors, leases, options, time);
        _consumers = consumers.Select(c => c.Name).Distinct().ToList();
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            lock (_reported)
            {
                Collect();
            }
        });
    }

    private void Collect()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var held = _ownership.Held;
        _metrics.PartitionsHeld.Set(held.Count);
        _metrics.ClusterNodes.Set(_leases.ReadNodes(now - (long)_options.LeaseDuration.TotalMilliseconds).Count);
        var reported = new HashSet<(string, string)>();
        foreach (var name in _consumers)
        {
            var stored = _cursors.Read(name);
            var lag = ConsumerLag.Seconds(_log, held.ToDictionary(l => l.Partition, l => stored.GetValueOrDefault(l.Partition)), now);
            foreach (var (partition, seconds) in lag)
            {
                var label = partition.ToString(CultureInfo.InvariantCulture);
                _metrics.ConsumerLagSeconds.WithLabels(name, label).Set(seconds);
                reported.Add((name, label));
            }
        }

        // A partition handed over is the other node's to report.
        foreach (var (consumer, partition) in _reported.Except(reported))
        {
            _metrics.ConsumerLagSeconds.RemoveLabelled(consumer, partition);
        }

        _reported.Clear();
        _reported.UnionWith(reported);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
