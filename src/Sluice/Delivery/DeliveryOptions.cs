namespace Sluice.Delivery;

/// <summary>Options of the dispatcher. Defaults are Segment's where Segment has one.</summary>
internal sealed record DeliveryOptions
{
    /// <summary>Per-request timeout. Default 10 s (actions-core's request client).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The first backoff's upper bound; each retry doubles it. Default 1 s.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest backoff. Default 10 minutes.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The longest a destination that looks down is held between probes (one request each). Default
    /// 1 minute: after an outage, deliveries resume within about this long of the service coming back.
    /// </summary>
    public TimeSpan MaxHold { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether destinations may be aimed at internal addresses (<c>--destination-hosts</c>). Default: any.</summary>
    public DestinationHosts Hosts { get; init; } = DestinationHosts.Any;

    /// <summary>Requests in flight per destination. Default 32.</summary>
    public int MaxConcurrencyPerDestination { get; init; } = 32;

    /// <summary>
    /// How long a claimed job is held before another claim may take it (a crashed node's jobs come back).
    /// Default 5 minutes: a claim of 500 jobs of one destination, 32 at a time, each up to the 10 s
    /// timeout, takes at most about 160 s. Whatever the claim, a request that could still be running
    /// when the lease ends is not started (a rate limit's slot can come later than that): its job goes
    /// back unattempted, so no job is ever sent by two claims because a lease ran out under it.
    /// </summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long the router may spend sending what it has just routed before recording it, counted from
    /// a step's first part (see <see cref="Dispatcher.BeginStep"/>); what cannot start within it is recorded for the claims.
    /// Default 500 ms. Zero: every delivery is recorded first and claimed.
    /// </summary>
    public TimeSpan SendWhenRoutedFor { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Characters of the service's answer kept in the delivery log. Default 1,000.</summary>
    public int MaxResponseLength { get; init; } = 1_000;

    /// <summary>How long the delivery log keeps delivered, skipped and filtered records (failed ones stay until replayed). Default 7 days.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// An ordered destination's delivery that is being retried holds its user's later deliveries; once this
    /// many wait behind it, it fails (replayable) so that they go on. RudderStack bounds its ordering the same way.
    /// </summary>
    public int OrderedMaxWaiting { get; init; } = 100;

    /// <summary>Returns a number in [0, 1) for the jitter; replaced in tests to make backoff exact.</summary>
    public Func<double> Random { get; init; } = System.Random.Shared.NextDouble;
}
