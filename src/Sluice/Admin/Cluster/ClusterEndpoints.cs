using Sluice.EventLog;
using Sluice.Hosting;
using Sluice.Spec;

namespace Sluice.Admin.Cluster;

/// <summary>
/// <c>/api/v1/cluster</c>: the nodes alive on this store, who holds each log partition, and each
/// consumer's lag in it, as the store has them; any node answers the same (<c>sluice status</c> prints it).
/// </summary>
internal static class ClusterEndpoints
{
    public static void Map(RouteGroupBuilder read) => read.MapGet("/cluster", Describe);

    private static IResult Describe(ServeOptions serve, EventLogOptions options, PartitionOwnership self, IPartitionLeases leases, IConsumerCursors cursors, IEventLog log, IEnumerable<IEventLogConsumer> consumers, TimeProvider time)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var nodes = leases.ReadNodes(now - (long)options.LeaseDuration.TotalMilliseconds);
        var held = leases.ReadLeases();
        var lag = consumers.Select(c => c.Name).Distinct().ToDictionary(name => name, name => ConsumerLag.Seconds(log, cursors.Read(name), now));
        bool Live(LeaseState lease) => lease.Owner is not null && lease.Until >= now;
        return Results.Json(new
        {
            store = serve.Store == StoreKind.Postgres ? "postgres" : "sqlite",
            node = self.Owner,
            partitionCount = log.PartitionCount,
            leaseSeconds = options.LeaseDuration.TotalSeconds,
            nodes = nodes.Select(n => new
            {
                node = n.Owner,
                startedAt = IsoTimestamp.Format(n.StartedAt),
                lastSeenAt = IsoTimestamp.Format(n.SeenAt),
                partitions = held.Count(l => l.Owner == n.Owner && Live(l)),
                lagSeconds = lag.ToDictionary(c => c.Key, c => held.Where(l => l.Owner == n.Owner && Live(l)).Select(l => c.Value.GetValueOrDefault(l.Partition)).DefaultIfEmpty(0).Max()),
            }),
            partitions = held.Select(l => new
            {
                partition = l.Partition,
                owner = Live(l) ? l.Owner : null,
                epoch = l.Epoch,
                leaseUntil = l.Owner is null ? null : IsoTimestamp.Format(l.Until),
                lagSeconds = lag.ToDictionary(c => c.Key, c => c.Value.GetValueOrDefault(l.Partition)),
            }),
        });
    }
}
