using System.Net;
using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>Options of the dispatcher. Defaults are Segment's where Segment has one.</summary>
public sealed record DeliveryOptions
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
    /// Default 5 minutes: longer than the slowest claim (100 jobs, 8 at a time, each up to the 10 s timeout).
    /// </summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Characters of the service's answer kept in the delivery log. Default 1,000.</summary>
    public int MaxResponseLength { get; init; } = 1_000;

    /// <summary>How long the delivery log keeps delivered, skipped and filtered records (failed ones stay until replayed). Default 7 days.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Returns a number in [0, 1) for the jitter; replaced in tests to make backoff exact.</summary>
    public Func<double> Random { get; init; } = System.Random.Shared.NextDouble;
}

/// <summary>
/// What an answer means: 2xx delivered; 408, 423, 429, every 5xx but 501, timeouts and network
/// errors are retried with exponential backoff and full jitter (Retry-After honoured) until the retry
/// window ends; every other answer fails at once with the service's body kept.
/// </summary>
internal static class RetryPolicy
{
    public static bool IsRetryable(HttpStatusCode status) => Actions.Kit.ActionError.KindOf((int)status) == Actions.Kit.ActionErrorKind.RetryableHttp;

    /// <param name="window">How long the destination's deliveries are retried, counted from their creation.</param>
    public static AttemptResult Retry(DeliveryOptions options, TimeSpan window, int attemptsBefore, long createdAt, long now, TimeSpan? retryAfter, int? httpStatus, string? response, string reason)
    {
        var bound = Math.Min(options.MaxDelay.TotalMilliseconds, options.BaseDelay.TotalMilliseconds * Math.Pow(2, attemptsBefore));
        var delay = (long)(options.Random() * bound);
        if (retryAfter is { } wait)
        {
            delay = Math.Max(delay, (long)wait.TotalMilliseconds);
        }

        var next = now + Math.Max(delay, 1);
        var attempts = attemptsBefore + 1;
        if (next > createdAt + (long)window.TotalMilliseconds)
        {
            return new AttemptResult(DeliveryStatus.Failed, httpStatus, response, $"retry window of {window} ended after {attempts} attempt(s); last: {reason}", null);
        }

        return new AttemptResult(DeliveryStatus.Retrying, httpStatus, response, reason, next);
    }
}
