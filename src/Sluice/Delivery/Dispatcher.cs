using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Observability;
using Sluice.Routing;
using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>
/// Claims due delivery jobs from the store (leases, so that several nodes can share them), builds
/// each action's requests, sends them, and records the outcome: delivered, retrying at a time, or
/// failed with the reason and the service's answer.
/// </summary>
internal sealed partial class Dispatcher(
    IDeliveryStore store,
    RoutingTable table,
    IHttpClientFactory clients,
    TimeProvider time,
    DeliveryOptions options,
    ILogger<Dispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "sluice-destinations";

    private const int ClaimSize = 100;
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _concurrency = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>New jobs exist (the router calls this).</summary>
    public void Notify()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already woken.
            }
        }
    }

    /// <summary>Sends every job due now; returns how many were attempted (tests drive time with this).</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellation)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var claimed = store.ClaimDue(now, now + (long)options.Lease.TotalMilliseconds, ClaimSize);
        await Task.WhenAll(claimed.Select(job => SendAsync(job, cancellation)));
        return claimed.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            int sent;
            try
            {
                sent = await DispatchDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogDispatchFailed(exception);
                sent = 0;
            }

            if (sent > 0)
            {
                continue;
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var wait = store.NextDueAt() is { } due && due > now ? TimeSpan.FromMilliseconds(Math.Min(due - now, IdleWait.TotalMilliseconds)) : IdleWait;
            try
            {
                // Real time bounds the wait; whether a job is due is decided by the injected clock.
                await _wake.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SendAsync(ClaimedDelivery job, CancellationToken cancellation)
    {
        var gate = _concurrency.GetOrAdd(job.DestinationId, _ => new SemaphoreSlim(options.MaxConcurrencyPerDestination));
        try
        {
            await gate.WaitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            store.Release(job.Id);
            throw;
        }

        try
        {
            var result = await AttemptAsync(job, cancellation);
            store.RecordAttempt(job.Id, result, time.GetUtcNow().ToUnixTimeMilliseconds());
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Shutting down mid-send: give the job back; it may have reached the service, hence at-least-once.
            store.Release(job.Id);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<AttemptResult> AttemptAsync(ClaimedDelivery job, CancellationToken cancellation)
    {
        if (table.Find(job.DestinationId) is not { } destination || !destination.Definition.Actions.TryGetValue(job.Action, out var action))
        {
            return new AttemptResult(DeliveryStatus.Failed, null, null, "the destination or its action is no longer in the workspace", null);
        }

        IReadOnlyList<OutgoingRequest> requests;
        try
        {
            var payload = JsonNode.Parse(job.Payload)!.AsObject();
            var message = store.ReadMessage(job.InboxSeq, job.MessageIndex) is { } bytes ? JsonNode.Parse(bytes)!.AsObject() : new JsonObject { ["messageId"] = job.MessageId };
            requests = action.Perform(new ActionInput(payload, destination.Settings, message));
        }
        catch (PayloadValidationException exception)
        {
            return new AttemptResult(DeliveryStatus.Skipped, null, null, exception.Message, null);
        }
        catch (Exception exception)
        {
            // A bug in an action must not loop: fail the delivery, say so, keep the stack in the log.
            LogDeliveryFailed(exception, job.DestinationId, job.MessageId);
            return new AttemptResult(DeliveryStatus.Failed, null, null, $"internal error in action '{job.Action}': {exception.Message}", null);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        int? lastStatus = null;
        string? lastBody = null;
        foreach (var request in requests)
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
                return RetryPolicy.Retry(options, destination.RetryWindow, job.Attempts, job.CreatedAt, now, null, null, null, $"timed out after {options.RequestTimeout.TotalSeconds:0.###} s");
            }
            catch (HttpRequestException exception)
            {
                return RetryPolicy.Retry(options, destination.RetryWindow, job.Attempts, job.CreatedAt, now, null, null, null, $"network error: {exception.Message}");
            }

            using (response)
            {
                lastStatus = (int)response.StatusCode;
                lastBody = await ReadBodyAsync(response, cancellation);
                if (response.IsSuccessStatusCode)
                {
                    continue;
                }

                var reason = $"HTTP {lastStatus} {response.ReasonPhrase}".TrimEnd();
                return RetryPolicy.IsRetryable(response.StatusCode)
                    ? RetryPolicy.Retry(options, destination.RetryWindow, job.Attempts, job.CreatedAt, now, RetryAfter(response, now), lastStatus, lastBody, reason)
                    : new AttemptResult(DeliveryStatus.Failed, lastStatus, lastBody, $"{reason}: the service refused the request; not retried", null);
            }
        }

        return new AttemptResult(DeliveryStatus.Delivered, lastStatus, lastBody, null, null);
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

        if (request.Body is { } body)
        {
            message.Content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        return message;
    }

    private async Task<string?> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellation)
    {
        var text = await response.Content.ReadAsStringAsync(cancellation);
        return text.Length <= options.MaxResponseLength ? text : text[..options.MaxResponseLength] + "…";
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response, long now) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => TimeSpan.FromMilliseconds(Math.Max(0, date.ToUnixTimeMilliseconds() - now)),
        _ => null,
    };

    [LoggerMessage(EventId = EventIds.DispatchFailed, Level = LogLevel.Error, Message = "Claiming or recording deliveries failed; retrying in a moment")]
    private partial void LogDispatchFailed(Exception exception);

    [LoggerMessage(EventId = EventIds.DeliveryFailed, Level = LogLevel.Error, Message = "An action threw for destination {DestinationId}, message {MessageId}")]
    private partial void LogDeliveryFailed(Exception exception, string destinationId, string messageId);
}
