using System.Net;
using Sluice.Storage;

namespace Sluice.Delivery;

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
