using System.Text;
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
            // Headers first: the body is read up to a cap below, whatever size the service sends.
            response = await clients.CreateClient(HttpClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            return new ServiceAnswer(null, null, null, null, $"timed out after {options.RequestTimeout.TotalSeconds:0.###} s", CanRetry: true);
        }
        catch (HttpRequestException exception) when (exception.InnerException is InternalHostRefusedException refused)
        {
            return new ServiceAnswer(null, null, null, null, $"the request cannot be sent: {refused.Message}", CanRetry: false);
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
            string body;
            try
            {
                body = await ReadCappedAsync(response.Content, options.MaxResponseLength, linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellation.IsCancellationRequested)
            {
                body = "(the answer's body did not arrive in time)";
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException)
            {
                // The status arrived: it decides; the body is what could be read.
                body = $"(the answer's body could not be read: {exception.Message})";
            }

            return new ServiceAnswer(
                (int)response.StatusCode,
                response.ReasonPhrase,
                body,
                RetryAfter(response, time.GetUtcNow().ToUnixTimeMilliseconds()),
                null,
                RetryPolicy.IsRetryable(response.StatusCode));
        }
    }

    /// <summary>
    /// The first <paramref name="maxCharacters"/> characters of a body, reading at most four bytes
    /// a character from the network: a service that answers gigabytes costs a few kilobytes. The rest
    /// is left unread; disposing the answer then drops the connection.
    /// </summary>
    internal static async Task<string> ReadCappedAsync(HttpContent content, int maxCharacters, CancellationToken cancellation)
    {
        var limit = maxCharacters * 4;
        var buffer = new byte[Math.Min(limit + 1, 64 * 1024)];
        await using var stream = await content.ReadAsStreamAsync(cancellation);
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellation);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        var more = length == buffer.Length;
        var text = Encoding.UTF8.GetString(buffer, 0, Math.Min(length, limit));
        if (text.Length > maxCharacters)
        {
            // The cut never splits a surrogate pair: half an emoji is not text.
            var cut = maxCharacters > 0 && char.IsHighSurrogate(text[maxCharacters - 1]) ? maxCharacters - 1 : maxCharacters;
            return text[..cut] + "…";
        }

        return more ? text + "…" : text;
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
