using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Sluice.Client;

/// <summary>
/// Posts a batch to <c>/v1/batch</c> and retries it while that can help: network errors, timeouts,
/// 408, 429 and 5xx, with exponential backoff and full jitter, waiting at least what
/// <c>Retry-After</c> says. Any other answer is final; its body is reported as it came.
/// </summary>
internal sealed class BatchSender : IDisposable
{
    private readonly SluiceClientOptions _options;
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly Uri _endpoint;
    private readonly AuthenticationHeaderValue _authorization;

    public BatchSender(SluiceClientOptions options, HttpMessageHandler? handler, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan;
        // A host with a path (a proxy's prefix) keeps it: "https://proxy/segment" sends to https://proxy/segment/v1/batch.
        var host = options.Host.AbsoluteUri.EndsWith('/') ? options.Host : new Uri(options.Host.AbsoluteUri + "/");
        _endpoint = new Uri(host, "v1/batch");
        _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(options.WriteKey + ":")));
    }

    /// <returns>What could not be delivered (nothing when the server took everything).</returns>
    public async Task<IReadOnlyList<SluiceClientFailure>> SendAsync(IReadOnlyList<QueuedMessage> batch, CancellationToken cancellation)
    {
        var ids = batch.Select(m => m.MessageId).ToList();
        string? lastReason = null;
        int? lastStatus = null;
        string? lastBody = null;
        Exception? lastException = null;
        for (var attempt = 0; attempt <= _options.MaxRetries; attempt++)
        {
            TimeSpan? retryAfter = null;
            try
            {
                // Built for each attempt: sentAt is when this request leaves, so the server's clock correction stays right on retries.
                using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(Body(batch)) };
                request.Headers.Authorization = _authorization;
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                if (_options.Gzip)
                {
                    request.Content.Headers.ContentEncoding.Add("gzip");
                }

                using var timeout = new CancellationTokenSource(_options.RequestTimeout, _options.Time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, timeout.Token);
                using var response = await _http.SendAsync(request, linked.Token);
                lastStatus = (int)response.StatusCode;
                lastBody = await response.Content.ReadAsStringAsync(linked.Token);
                if (response.IsSuccessStatusCode)
                {
                    return Rejected(batch, lastBody);
                }

                lastReason = $"HTTP {lastStatus} {response.ReasonPhrase}".TrimEnd();
                lastException = null;
                if (!IsRetryable(response.StatusCode))
                {
                    return [new SluiceClientFailure(ids, $"{lastReason}: the server refused the batch; not retried", lastStatus, lastBody)];
                }

                retryAfter = response.Headers.RetryAfter switch
                {
                    { Delta: { } delta } => delta,
                    { Date: { } date } => date - _options.Time.GetUtcNow(),
                    _ => null,
                };
            }
            catch (OperationCanceledException exception) when (!cancellation.IsCancellationRequested)
            {
                (lastReason, lastStatus, lastBody, lastException) = ($"no answer within {_options.RequestTimeout.TotalSeconds:0.###} s", null, null, exception);
            }
            catch (HttpRequestException exception)
            {
                (lastReason, lastStatus, lastBody, lastException) = ($"network error: {exception.Message}", null, null, exception);
            }

            if (attempt < _options.MaxRetries)
            {
                var delay = Backoff(attempt);
                if (retryAfter is { } floor && floor > delay)
                {
                    delay = floor;
                }

                _logger.LogDebug("Sluice client: batch of {Count} failed ({Reason}); retrying in {Delay} ms", batch.Count, lastReason, (int)delay.TotalMilliseconds);
                await Task.Delay(delay, _options.Time, cancellation);
            }
        }

        return [new SluiceClientFailure(ids, $"{lastReason}; gave up after {_options.MaxRetries + 1} attempts", lastStatus, lastBody, lastException)];
    }

    public void Dispose() => _http.Dispose();

    private static bool IsRetryable(HttpStatusCode status) => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.MaxRetryDelay.TotalMilliseconds, _options.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }

    private byte[] Body(IReadOnlyList<QueuedMessage> batch)
    {
        using var raw = new MemoryStream(batch.Sum(m => m.Json.Length + 1) + 64);
        raw.Write("{\"batch\":["u8);
        for (var i = 0; i < batch.Count; i++)
        {
            if (i > 0)
            {
                raw.WriteByte((byte)',');
            }

            raw.Write(batch[i].Json);
        }

        // sentAt on the envelope: the server corrects every message's timestamp for this clock's error.
        raw.Write("],\"sentAt\":\""u8);
        raw.Write(Encoding.UTF8.GetBytes(_options.Time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture)));
        raw.Write("\"}"u8);
        if (!_options.Gzip)
        {
            return raw.ToArray();
        }

        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(gzip);
        }

        return compressed.ToArray();
    }

    /// <summary>A 200 may still refuse some messages (Sluice's partial batch answer): each is reported with the server's words.</summary>
    private static IReadOnlyList<SluiceClientFailure> Rejected(IReadOnlyList<QueuedMessage> batch, string body)
    {
        if (!body.Contains("\"rejected\"", StringComparison.Ordinal))
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("rejected", out var rejected) || rejected.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            return [.. rejected.EnumerateArray().Select(r =>
            {
                var index = r.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : -1;
                var id = r.TryGetProperty("messageId", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : index >= 0 && index < batch.Count ? batch[index].MessageId : "";
                var error = r.TryGetProperty("error", out var e) ? e.ToString() : "rejected";
                return new SluiceClientFailure([id], $"rejected by the server: {error}", 200, r.GetRawText());
            })];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
