using Sluice.EventLog;

namespace Sluice.Storage;

/// <summary>What every backend promises for consumers' cursors and partition leases: epochs fence commits.</summary>
public abstract class ConsumerCursorsContract : IDisposable
{
    private readonly StoreBackend _backend;

    private protected ConsumerCursorsContract(StoreBackend backend) => _backend = backend;

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void A_consumer_registered_at_the_beginning_starts_at_zero_and_one_registered_now_at_the_head()
    {
        using var store = _backend.Open();
        store.EventLog.Append([new EventBatch("web", [EventLogContract.Event("m1", "ada", store.EventLog.PartitionCount)], 1)], 1, 0);
        EventLogContract.Settle(store.EventLog, 1);
        var head = store.EventLog.Head();

        store.Cursors.Register("history", ConsumerStart.Beginning);
        store.Cursors.Register("fresh", ConsumerStart.Now);
        store.EventLog.Append([new EventBatch("web", [EventLogContract.Event("m2", "ada", store.EventLog.PartitionCount)], 2)], 2, 0);
        store.Cursors.Register("fresh", ConsumerStart.Beginning);

        Assert.Equal(store.EventLog.PartitionCount, store.Cursors.Read("history").Count);
        Assert.All(store.Cursors.Read("history").Values, position => Assert.Equal(0, position));
        Assert.All(store.Cursors.Read("fresh").Values, position => Assert.Equal(head, position));
    }

    [Fact]
    public void A_claim_takes_every_free_partition_and_raises_each_epoch()
    {
        using var store = _backend.Open();
        var first = store.Leases.Claim("node-a", 1000, now: 0, until: 15_000, takeOver: false);
        store.Leases.Release("node-a", first);
        var second = store.Leases.Claim("node-b", 1000, now: 1, until: 15_001, takeOver: false);

        Assert.Equal(Enumerable.Range(0, store.EventLog.PartitionCount), first.Select(l => l.Partition));
        Assert.Equal(first.Select(l => l.Epoch + 1), second.Select(l => l.Epoch));
    }

    [Fact]
    public void A_held_lease_is_not_claimed_by_another_node_until_it_ends_unless_taken_over()
    {
        using var store = _backend.Open();
        var a = store.Leases.Claim("node-a", 1000, now: 0, until: 15_000, takeOver: false);

        Assert.Empty(store.Leases.Claim("node-b", 1000, now: 14_999, until: 30_000, takeOver: false));
        var afterEnd = store.Leases.Claim("node-b", 3, now: 15_001, until: 30_001, takeOver: false);
        Assert.Equal(3, afterEnd.Count);
        var renewed = store.Leases.Renew("node-a", a, until: 40_000);
        Assert.Equal(a.Count - 3, renewed.Count);
        Assert.DoesNotContain(renewed, l => afterEnd.Any(b => b.Partition == l.Partition));
        var taken = store.Leases.Claim("node-c", 1000, now: 15_002, until: 30_002, takeOver: true);
        Assert.Equal(store.EventLog.PartitionCount, taken.Count);
        Assert.Empty(store.Leases.Renew("node-a", renewed, until: 50_000));
    }

    [Fact]
    public void A_commit_under_a_stale_epoch_is_refused_and_moves_no_cursor()
    {
        using var store = _backend.Open();
        store.Cursors.Register("router", ConsumerStart.Beginning);
        var old = store.Leases.Claim("node-a", 1000, now: 0, until: 15_000, takeOver: false);
        store.Cursors.Commit([new CursorAdvance("router", 0, 5, "node-a", old[0].Epoch)]);
        var fresh = store.Leases.Claim("node-b", 1000, now: 1, until: 15_001, takeOver: true);

        var refused = Assert.Throws<LeaseLostException>(() => store.Cursors.Commit([
            new CursorAdvance("router", 1, 9, "node-a", old[1].Epoch),
            new CursorAdvance("router", 0, 9, "node-a", old[0].Epoch),
        ]));
        store.Cursors.Commit([new CursorAdvance("router", 0, 7, "node-b", fresh[0].Epoch)]);

        Assert.Equal(1, refused.Partition);
        Assert.Equal(0, store.Cursors.Read("router")[1]);
        Assert.Equal(7, store.Cursors.Read("router")[0]);
    }

    [Fact]
    public void The_routers_output_under_a_stale_epoch_is_not_recorded()
    {
        using var store = _backend.Open();
        store.Cursors.Register("router", ConsumerStart.Beginning);
        var old = store.Leases.Claim("node-a", 1000, now: 0, until: 15_000, takeOver: false);
        store.Leases.Claim("node-b", 1000, now: 1, until: 15_001, takeOver: true);
        var delivery = new NewDelivery("hook", "all", "send", "m1", 1, 0, DeliveryStatus.Pending, null, "{}"u8.ToArray());

        Assert.Throws<LeaseLostException>(() => store.Deliveries.RecordRouted([delivery], [new CursorAdvance("router", 0, 1, "node-a", old[0].Epoch)], 1));

        Assert.Empty(store.Deliveries.List("hook", null, 10));
        Assert.Equal(0, store.Cursors.Read("router")[0]);
    }
}

public sealed class SqliteConsumerCursorsContract() : ConsumerCursorsContract(new SqliteBackend());

public sealed class PostgresConsumerCursorsContract() : ConsumerCursorsContract(new PostgresBackend());
