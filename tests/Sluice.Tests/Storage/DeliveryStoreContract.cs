using Sluice.Delivery;
using Sluice.EventLog;

namespace Sluice.Storage;

/// <summary>What every backend's delivery jobs and log promise: claims are leases, outcomes are recorded, failed ones replay.</summary>
public abstract class DeliveryStoreContract : IDisposable
{
    private readonly StoreBackend _backend;

    private protected DeliveryStoreContract(StoreBackend backend) => _backend = backend;

    public void Dispose() => _backend.Dispose();

    private static NewDelivery Job(string messageId, string destination = "hook") =>
        new(destination, "all", "send", messageId, 1, 0, DeliveryStatus.Pending, null, "{}"u8.ToArray());

    private static void Route(StoreHandle store, params NewDelivery[] deliveries)
    {
        store.Cursors.Register("router", ConsumerStart.Beginning);
        var lease = store.Leases.Claim("node", 1, now: 0, until: long.MaxValue, takeOver: true)[0];
        store.Deliveries.RecordRouted(deliveries, [new CursorAdvance("router", lease.Partition, 1, "node", lease.Epoch)], now: 100);
    }

    [Fact]
    public void A_claimed_job_is_not_claimed_again_until_its_lease_ends_or_it_is_released()
    {
        using var store = _backend.Open();
        Route(store, Job("m1"), Job("m2"));

        var first = store.Deliveries.ClaimDue(now: 100, leaseUntil: 1_000, max: 10, heldDestinations: []);
        var again = store.Deliveries.ClaimDue(now: 200, leaseUntil: 1_000, max: 10, heldDestinations: []);
        store.Deliveries.Release([first[0].Id]);
        var released = store.Deliveries.ClaimDue(now: 300, leaseUntil: 1_000, max: 10, heldDestinations: []);
        var expired = store.Deliveries.ClaimDue(now: 1_001, leaseUntil: 2_000, max: 10, heldDestinations: []);

        Assert.Equal(2, first.Count);
        Assert.Empty(again);
        Assert.Equal(first[0].Id, Assert.Single(released).Id);
        Assert.Equal(2, expired.Count);
    }

    [Fact]
    public void Jobs_of_held_destinations_are_not_claimed()
    {
        using var store = _backend.Open();
        Route(store, Job("m1", "down"), Job("m2", "up"));

        var claimed = store.Deliveries.ClaimDue(now: 100, leaseUntil: 1_000, max: 10, heldDestinations: ["down"]);

        Assert.Equal("up", Assert.Single(claimed).DestinationId);
    }

    [Fact]
    public void Beside_a_held_destination_the_others_jobs_are_claimed_up_to_the_claims_size_each_once()
    {
        using var store = _backend.Open();
        Route(store, Job("d1", "down"), Job("a1", "a"), Job("d2", "down"), Job("b1", "b"), Job("a2", "a"), Job("d3", "down"), Job("a3", "a"), Job("b2", "b"));

        var first = store.Deliveries.ClaimDue(now: 100, leaseUntil: 1_000, max: 3, heldDestinations: ["down"]);
        var second = store.Deliveries.ClaimDue(now: 100, leaseUntil: 1_000, max: 10, heldDestinations: ["down"]);
        var afterTheHold = store.Deliveries.ClaimDue(now: 100, leaseUntil: 1_000, max: 10, heldDestinations: []);

        Assert.Equal(3, first.Count);
        Assert.Equal(["a1", "a2", "a3", "b1", "b2"], first.Concat(second).Select(c => c.MessageId).Order());
        Assert.Equal(["d1", "d2", "d3"], afterTheHold.Select(c => c.MessageId).Order());
    }

    [Fact]
    public void Outcomes_are_recorded_and_counted_and_a_failed_delivery_is_replayed()
    {
        using var store = _backend.Open();
        Route(store, Job("ok"), Job("bad"), Job("later"));
        var claimed = store.Deliveries.ClaimDue(now: 100, leaseUntil: 1_000, max: 10, heldDestinations: []);
        var byMessage = claimed.ToDictionary(c => c.MessageId, c => c.Id);

        store.Deliveries.RecordAttempts([
            (byMessage["ok"], new AttemptResult(DeliveryStatus.Delivered, 200, "{}", null, null)),
            (byMessage["bad"], new AttemptResult(DeliveryStatus.Failed, 400, "no", "refused", null)),
            (byMessage["later"], new AttemptResult(DeliveryStatus.Retrying, 503, null, "busy", 5_000)),
        ], now: 150);

        var stats = store.Deliveries.Stats("hook");
        Assert.Equal(1, stats[DeliveryStatus.Delivered]);
        Assert.Equal(1, stats[DeliveryStatus.Failed]);
        Assert.Equal(1, stats[DeliveryStatus.Retrying]);
        Assert.Equal(5_000, store.Deliveries.NextDueAt());
        Assert.Equal("refused", store.Deliveries.List("hook", DeliveryStatus.Failed, 10).Single().Reason);
        Assert.Equal(1, store.Deliveries.Requeue("hook", DeliveryStatus.Failed, null, null, now: 200));
        Assert.Equal(1, store.Deliveries.ResumeRetries("hook", now: 200));
        Assert.Equal(2, store.Deliveries.ClaimDue(now: 200, leaseUntil: 1_000, max: 10, heldDestinations: []).Count);
    }

    [Fact]
    public void A_claims_outcomes_are_each_written_to_their_own_delivery_with_answers_and_reasons_as_they_were()
    {
        using var store = _backend.Open();
        Route(store, [.. Enumerable.Range(0, 600).Select(i => Job($"m{i}"))]);
        var claimed = store.Deliveries.ClaimDue(now: 100, leaseUntil: 1_000, max: 600, heldDestinations: []);
        var odd = "quote \" backslash \\ line\nbreak tab\t é 日本 😀 end";
        var outcomes = claimed.Select((c, i) => (c.Id, (i % 3) switch
        {
            0 => new AttemptResult(DeliveryStatus.Delivered, 200, $"{{\"n\":{i}}}", null, null),
            1 => new AttemptResult(DeliveryStatus.Failed, 400, odd, $"refused {i}", null),
            _ => new AttemptResult(DeliveryStatus.Retrying, null, null, "timed out", 10_000 + i),
        })).ToList();
        // U+0000 (PostgreSQL's text refuses it) and a lone surrogate (half an emoji) become U+FFFD on every store.
        outcomes[1] = (outcomes[1].Id, new AttemptResult(DeliveryStatus.Failed, 400, "half \uD83D nul\u0000", "refused \u0000", null));

        store.Deliveries.RecordAttempts(outcomes, now: 150);

        var records = store.Deliveries.List("hook", null, 1_000).ToDictionary(r => r.Id);
        Assert.Equal(600, records.Count);
        foreach (var (id, result) in outcomes)
        {
            var record = records[id];
            Assert.Equal(result.Status, record.Status);
            Assert.Equal(1, record.Attempts);
            Assert.Equal(result.HttpStatus, record.HttpStatus);
            Assert.Equal(result.Response == "half \uD83D nul\u0000" ? "half \uFFFD nul\uFFFD" : result.Response, record.Response);
            Assert.Equal(result.Reason == "refused \u0000" ? "refused \uFFFD" : result.Reason, record.Reason);
            Assert.Equal(150, record.UpdatedAt);
            Assert.Equal(result.NextAttemptAt, record.NextAttemptAt);
        }

        Assert.Empty(store.Deliveries.ClaimDue(now: 9_999, leaseUntil: 20_000, max: 600, heldDestinations: []));
        Assert.Equal(200, store.Deliveries.ClaimDue(now: 10_600, leaseUntil: 20_000, max: 600, heldDestinations: []).Count);
    }

    [Fact]
    public void An_ordered_destination_gets_one_delivery_per_user_at_a_time_in_log_order_and_a_retry_holds_the_users_later_ones()
    {
        using var store = _backend.Open();
        NewDelivery Ordered(string messageId, string user, long position) => new("ordered", "all", "send", messageId, position, 0, DeliveryStatus.Pending, null, "{}"u8.ToArray()) { UserKey = user };
        store.Cursors.Register("router", ConsumerStart.Beginning);
        var lease = store.Leases.Claim("node", 1, now: 0, until: long.MaxValue, takeOver: true)[0];
        // Recorded out of log order on purpose: the log position decides, not the insert.
        store.Deliveries.RecordRouted([Ordered("ada-2", "u:ada", 20), Ordered("ada-1", "u:ada", 10), Ordered("bob-1", "u:bob", 15), Ordered("ada-3", "u:ada", 30)], [new CursorAdvance("router", lease.Partition, 30, "node", lease.Epoch)], now: 100);

        var first = store.Deliveries.ClaimDue(now: 100, leaseUntil: 1_000, max: 10, heldDestinations: []);
        var ada1 = first.Single(c => c.MessageId == "ada-1").Id;
        var behind = store.Deliveries.WaitingBehind([ada1]);
        var bob1 = first.Single(c => c.MessageId == "bob-1").Id;
        store.Deliveries.RecordAttempts([(ada1, new AttemptResult(DeliveryStatus.Retrying, 503, null, "busy", 5_000)), (bob1, new AttemptResult(DeliveryStatus.Delivered, 200, null, null, null))], now: 150);
        var whileRetrying = store.Deliveries.ClaimDue(now: 200, leaseUntil: 1_000, max: 10, heldDestinations: []);
        var retried = store.Deliveries.ClaimDue(now: 5_000, leaseUntil: 6_000, max: 10, heldDestinations: []);
        store.Deliveries.RecordAttempts([(ada1, new AttemptResult(DeliveryStatus.Delivered, 200, null, null, null))], now: 5_001);
        var next = store.Deliveries.ClaimDue(now: 5_002, leaseUntil: 6_000, max: 10, heldDestinations: []);

        Assert.Equal(["ada-1", "bob-1"], first.Select(c => c.MessageId).Order());
        Assert.Equal(2, behind[ada1]);
        Assert.Empty(whileRetrying);
        Assert.Equal("ada-1", Assert.Single(retried).MessageId);
        Assert.Equal("ada-2", Assert.Single(next).MessageId);
    }

    [Fact]
    public void Pruning_removes_old_final_records_but_keeps_failed_ones_for_replay()
    {
        using var store = _backend.Open();
        Route(store, Job("ok"), Job("bad"));
        var claimed = store.Deliveries.ClaimDue(now: 100, leaseUntil: 1_000, max: 10, heldDestinations: []);
        store.Deliveries.RecordAttempts([
            (claimed[0].Id, new AttemptResult(DeliveryStatus.Delivered, 200, null, null, null)),
            (claimed[1].Id, new AttemptResult(DeliveryStatus.Failed, 400, null, "refused", null)),
        ], now: 150);

        // Two days on: a backend may prune a whole day at a time.
        Assert.Equal(1, store.Deliveries.PruneFinished(olderThan: 2 * 86_400_000, max: 100));
        Assert.Equal(DeliveryStatus.Failed, Assert.Single(store.Deliveries.List("hook", null, 10)).Status);
    }

    [Fact]
    public void A_destination_kept_shorter_or_longer_loses_only_its_own_old_records()
    {
        using var store = _backend.Open();
        Route(store, Job("hook-1"), Job("fs-1", "fullstory"), Job("stitch-1", "stitch"));
        var claimed = store.Deliveries.ClaimDue(now: 100, leaseUntil: 1_000, max: 10, heldDestinations: []);
        store.Deliveries.RecordAttempts([.. claimed.Select(c => (c.Id, new AttemptResult(DeliveryStatus.Delivered, 200, null, null, null)))], now: 150);

        Assert.Equal(1, store.Deliveries.PruneFinished(olderThan: 2 * 86_400_000, max: 100, new EventLog.RetentionScope("fullstory", [])));
        Assert.Equal(1, store.Deliveries.PruneFinished(olderThan: 2 * 86_400_000, max: 100, new EventLog.RetentionScope(null, ["stitch"])));
        Assert.Empty(store.Deliveries.List("hook", null, 10));
        Assert.Empty(store.Deliveries.List("fullstory", null, 10));
        Assert.Single(store.Deliveries.List("stitch", null, 10));
    }
}

/// <summary>What every backend promises for destination holds and rate budgets, shared by every node's dispatcher.</summary>
public abstract class DestinationStateContract : IDisposable
{
    private readonly StoreBackend _backend;

    private protected DestinationStateContract(StoreBackend backend) => _backend = backend;

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void Failures_from_two_nodes_both_count_and_one_probe_starts_per_hold()
    {
        using var a = _backend.Open();
        using var b = _backend.Open();

        a.Destinations.Hold("hook", failures => 1_000 * failures);
        var second = b.Destinations.Hold("hook", failures => 1_000 * failures);
        var seen = a.Destinations.ReadHolds()["hook"];

        Assert.Equal(2, second);
        Assert.Equal(2_000, seen.Until);
        Assert.True(a.Destinations.TryStartProbe(seen, probeUntil: 22_000));
        Assert.False(b.Destinations.TryStartProbe(seen, probeUntil: 22_000));
        Assert.Equal(22_000, b.Destinations.ReadHolds()["hook"].Until);
        b.Destinations.ProbeAgain("hook", now: 3_000);
        Assert.Equal(3_000, a.Destinations.ReadHolds()["hook"].Until);
        Assert.Equal(2, a.Destinations.Lift("hook"));
        Assert.Null(b.Destinations.Lift("hook"));
        Assert.Empty(b.Destinations.ReadHolds());
    }

    [Fact]
    public void A_probe_whose_node_died_holds_the_destination_only_until_its_time_and_is_then_started_again()
    {
        using var a = _backend.Open();
        using var b = _backend.Open();
        a.Destinations.Hold("hook", _ => 1_000);
        Assert.True(a.Destinations.TryStartProbe(a.Destinations.ReadHolds()["hook"], probeUntil: 21_000));

        // Node a is killed mid-probe: it never records an outcome. Before the probe's time is up the hold stands...
        var during = b.Destinations.ReadHolds()["hook"];
        Assert.Contains("hook", DestinationHolds.HeldAt(b.Destinations.ReadHolds(), now: 20_999));
        Assert.False(b.Destinations.TryStartProbe(during with { Until = 1_000 }, probeUntil: 41_000));

        // ...and once it is, another node probes.
        Assert.DoesNotContain("hook", DestinationHolds.HeldAt(b.Destinations.ReadHolds(), now: 21_000));
        Assert.True(b.Destinations.TryStartProbe(during, probeUntil: 41_000));
        Assert.Equal(41_000, a.Destinations.ReadHolds()["hook"].Until);

        // A probe that ends without an answer after its time ran out leaves the newer probe's time alone.
        a.Destinations.ProbeAgain("hook", now: 45_000);
        Assert.Equal(41_000, a.Destinations.ReadHolds()["hook"].Until);
    }

    [Fact]
    public void Send_slots_reserved_by_two_nodes_never_overlap_and_unused_past_ones_are_not_handed_out_again()
    {
        using var a = _backend.Open();
        using var b = _backend.Open();

        var first = a.Destinations.ReserveSendSlots("stories", 4, 250_000, nowMicroseconds: 10_000_000);
        var second = b.Destinations.ReserveSendSlots("stories", 4, 250_000, nowMicroseconds: 10_100_000);
        var afterIdle = a.Destinations.ReserveSendSlots("stories", 4, 250_000, nowMicroseconds: 60_000_000);

        Assert.Equal(10_000_000, first);
        Assert.Equal(11_000_000, second);
        Assert.Equal(60_000_000, afterIdle);
    }
}

public sealed class SqliteDeliveryStoreContract() : DeliveryStoreContract(new SqliteBackend());

public sealed class SqliteDestinationStateContract() : DestinationStateContract(new SqliteBackend());

public sealed class PostgresDeliveryStoreContract() : DeliveryStoreContract(new PostgresBackend());

public sealed class PostgresDestinationStateContract() : DestinationStateContract(new PostgresBackend());
