using Sluice.Actions.Kit;

namespace Sluice.Delivery;

/// <summary>What a service answered to one request, or why there was no answer.</summary>
/// <param name="Failure">Set when there was no answer: a timeout or a network error (worth retrying), or a request that cannot be sent.</param>
internal sealed record ServiceAnswer(int? Status, string? ReasonPhrase, string? Body, TimeSpan? RetryAfter, string? Failure, bool CanRetry)
{
    public bool Succeeded => Status is >= 200 and < 300;

    /// <summary>"HTTP 404 Not Found", or the failure.</summary>
    public string Summary => Status is { } status ? $"HTTP {status} {ReasonPhrase}".TrimEnd() : Failure ?? "no answer";
}

/// <summary>
/// Sends an action's request to its service with the per-request timeout, and reads the answer
/// (body truncated, <c>Retry-After</c>). Shared by deliveries, authentication checks and deletions.
/// </summary>
internal sealed class DestinationHttp(IHttpClientFactory clients, TimeProvider time, DeliveryOptions options)
{
    public const string HttpClientName = "sluice-destinations";

    public async Task<ServiceAnswer> SendAsync(OutgoingRequest request, CancellationToken cancellation)
    {
        using var message = ToHttp(request);
        using var timeout = new CancellationTokenSource(options.RequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, timeout.Token);
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(HttpClientName).SendAsync(message, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            return new ServiceAnswer(null, null, null, null, $"timed out after {options.RequestTimeout.TotalSeconds:0.###} s", CanRetry: true);
        }
        catch (HttpRequestException exception)
        {
            return new ServiceAnswer(null, null, null, null, $"network error: {exception.Message}", CanRetry: true);
        }
        catch (Exception exception) when (exception is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            // The request itself cannot be sent (a URL that is not http or https, say): retrying cannot help.
            return new ServiceAnswer(null, null, null, null, $"the request cannot be sent: {exception.Message}", CanRetry: false);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellation);
            return new ServiceAnswer(
                (int)response.StatusCode,
                response.ReasonPhrase,
                body.Length <= options.MaxResponseLength ? body : body[..options.MaxResponseLength] + "…",
                RetryAfter(response, time.GetUtcNow().ToUnixTimeMilliseconds()),
                null,
                RetryPolicy.IsRetryable(response.StatusCode));
        }
    }

    private static HttpRequestMessage ToHttp(OutgoingRequest request)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Url);
        string? contentType = null;
        foreach (var (name, value) in request.Headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }

        // A Content-Type is sent even without a body when the action asks for one (FullStory's GET /me and DELETE do).
        if (request.Body is { } body || contentType is not null)
        {
            message.Content = new ByteArrayContent(request.Body ?? []);
            if (contentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        return message;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response, long now) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => TimeSpan.FromMilliseconds(Math.Max(0, date.ToUnixTimeMilliseconds() - now)),
        _ => null,
    };
}
