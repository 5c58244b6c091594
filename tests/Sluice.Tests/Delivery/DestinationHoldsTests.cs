using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>The holds' rules alone, on the real store, with time given as numbers.</summary>
public sealed class DestinationHoldsTests : IDisposable
{
    private readonly SqliteBackend _backend = new();
    private readonly StoreHandle _store;
    private readonly DestinationHolds _holds;

    public DestinationHoldsTests()
    {
        _store = _backend.Open();
        _holds = new DestinationHolds(_store.Destinations, new DeliveryOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxHold = TimeSpan.FromSeconds(4) });
    }

    public void Dispose()
    {
        _store.Dispose();
        _backend.Dispose();
    }

    private static ClaimedDelivery Job(long id, string destination = "hook") => new(id, destination, "m", "send", $"m{id}", id, 0, 0, 0, "{}"u8.ToArray());

    [Fact]
    public void Each_failed_probe_doubles_the_hold_up_to_the_most_allowed()
    {
        var untils = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            _holds.Record([Job(i)], new Dictionary<long, DeliveryStatus> { [i] = DeliveryStatus.Retrying }, _holds.Read(), now: 10_000);
            untils.Add(_holds.Read()["hook"].Until - 10_000);
        }

        Assert.Equal([500, 1_000, 2_000, 4_000, 4_000], untils);
        Assert.Contains("hook", DestinationHolds.HeldAt(_holds.Read(), now: 13_999));
    }

    [Fact]
    public void When_a_hold_runs_out_one_job_probes_and_the_others_go_back()
    {
        _holds.Record([Job(1)], new Dictionary<long, DeliveryStatus> { [1] = DeliveryStatus.Retrying }, _holds.Read(), now: 0);
        var holds = _holds.Read();

        var excess = _holds.KeepProbes([Job(2), Job(3), Job(4), Job(5, "other")], holds, now: 600);
        var secondClaim = _holds.KeepProbes([Job(6)], holds, now: 600);

        Assert.Equal([3L, 4L], excess);
        Assert.Equal([6L], secondClaim);
    }

    [Fact]
    public void A_delivery_after_an_outage_lifts_the_hold_and_resumes_the_retries()
    {
        _holds.Record([Job(1)], new Dictionary<long, DeliveryStatus> { [1] = DeliveryStatus.Retrying }, _holds.Read(), now: 0);
        _holds.Record([Job(2)], new Dictionary<long, DeliveryStatus> { [2] = DeliveryStatus.Retrying }, _holds.Read(), now: 600);

        var resume = _holds.Record([Job(3)], new Dictionary<long, DeliveryStatus> { [3] = DeliveryStatus.Delivered }, _holds.Read(), now: 2_000);

        Assert.Equal(["hook"], resume);
        Assert.Empty(_holds.Read());
    }

    [Fact]
    public void After_a_single_failure_a_delivery_lifts_the_hold_without_resuming_retries()
    {
        _holds.Record([Job(1)], new Dictionary<long, DeliveryStatus> { [1] = DeliveryStatus.Retrying }, _holds.Read(), now: 0);

        var resume = _holds.Record([Job(2)], new Dictionary<long, DeliveryStatus> { [2] = DeliveryStatus.Delivered }, _holds.Read(), now: 600);

        Assert.Empty(resume);
        Assert.Empty(_holds.Read());
    }

    [Fact]
    public void A_probe_that_ends_without_an_answer_about_the_service_lets_the_next_claim_probe()
    {
        _holds.Record([Job(1)], new Dictionary<long, DeliveryStatus> { [1] = DeliveryStatus.Retrying }, _holds.Read(), now: 0);
        _holds.KeepProbes([Job(2)], _holds.Read(), now: 600);

        _holds.Record([Job(2)], new Dictionary<long, DeliveryStatus> { [2] = DeliveryStatus.Skipped }, _holds.Read(), now: 700);

        Assert.Equal(700, _holds.Read()["hook"].Until);
    }
}
