using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Observability;
using Sluice.Routing;
using Sluice.Storage;
using Sluice.Storage.Sqlite;

namespace Sluice.Delivery;

/// <summary>
/// Claims due delivery jobs from the store (leases, so that several nodes can share them), builds
/// each action's requests, sends them, and records the outcome: delivered, retrying at a time, or
/// failed with the reason and the service's answer.
/// </summary>
internal sealed partial class Dispatcher(
    IDeliveryStore store,
    RoutingTable table,
    DestinationHttp http,
    TimeProvider time,
    DeliveryOptions options,
    SluiceMetrics metrics,
    DeliveriesWaiting waiting,
    ILogger<Dispatcher> logger) : BackgroundService
{
    private const int ClaimSize = 500;
    private const int ClaimLoops = 2;
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _concurrency = new(StringComparer.Ordinal);
    private readonly EventLog.WakeSignal _wake = waiting.Signal;
    private readonly ConcurrentDictionary<string, Hold> _holds = new(StringComparer.Ordinal);
    private readonly RatePacer _pacer = new(time);
    private readonly ConcurrentDictionary<string, long> _pacedUntil = new(StringComparer.Ordinal);

    /// <summary>New jobs exist, or held ones may go (the Admin API calls this after a change).</summary>
    public void Notify() => _wake.Set();

    /// <summary>Sends every job due now; returns how many were attempted (tests drive time with this).</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellation)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var held = _holds.Where(h => h.Value.Until > now).Select(h => h.Key)
            .Concat(_pacedUntil.Where(p => p.Value > now).Select(p => p.Key))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var claimed = KeepProbes(KeepPaceable(store.ClaimDue(now, now + (long)options.Lease.TotalMilliseconds, ClaimSize, held), now), now);
        if (claimed.Count == 0)
        {
            return 0;
        }

        // One transaction records the whole claim: a commit per delivery would cap sending at the disk's flush rate.
        // A job carries its validated payload, so sending reads nothing else.
        var down = new DownInClaim();
        var outcomes = (await Task.WhenAll(Units(claimed).Select(unit => SendAsync(unit, down, cancellation)))).SelectMany(o => o).ToList();
        var recorded = time.GetUtcNow().ToUnixTimeMilliseconds();
        var attempted = outcomes.Where(o => o.Result is not null).Select(o => (o.Id, o.Result!)).ToList();
        // Counted before they are recorded: whoever reads a recorded outcome finds it counted too.
        var destinationOf = claimed.ToDictionary(c => c.Id, c => c.DestinationId);
        foreach (var (id, result) in attempted)
        {
            metrics.Deliveries.WithLabels(destinationOf[id], SqliteDeliveryStore.Name(result.Status)).Inc();
        }

        store.RecordAttempts(attempted, recorded);

        if (outcomes.Count > attempted.Count)
        {
            // Jobs of a destination that looked down mid-claim were not sent: they wait, unattempted, for its next probe.
            store.Release([.. outcomes.Where(o => o.Result is null).Select(o => o.Id)]);
        }

        UpdateHolds(claimed, attempted.ToDictionary(o => o.Id, o => o.Item2.Status), recorded);
        return claimed.Count;
    }

    /// <summary>
    /// Two claim loops, so that the next claim is read and sent while the previous one's slowest
    /// requests finish and are recorded; leases keep them from taking the same jobs.
    /// </summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await Task.WhenAll(Enumerable.Range(0, ClaimLoops).Select(_ => Task.Run(() => ClaimLoopAsync(stoppingToken), CancellationToken.None)));
    }

    private async Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
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
                if (sent == ClaimSize)
                {
                    // A full claim suggests more is due: the other loop can take it now.
                    _wake.Set();
                }

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

    /// <summary>
    /// A rate-limited destination keeps about a second's worth of its claimed jobs; the rest go back
    /// at once and the destination sits out claims until then. Otherwise a backlog for a slow
    /// destination (Stories: 4 a second) would fill claims and hold every other destination to its pace.
    /// </summary>
    private IReadOnlyList<ClaimedDelivery> KeepPaceable(IReadOnlyList<ClaimedDelivery> claimed, long now)
    {
        List<long>? excess = null;
        foreach (var destination in claimed.GroupBy(c => c.DestinationId))
        {
            if (table.Find(destination.Key)?.RateLimit is not { } rate || rate <= 0)
            {
                continue;
            }

            var budget = Math.Max(1, (int)Math.Ceiling(rate));
            _pacedUntil[destination.Key] = now + (long)(1000 * budget / rate);
            (excess ??= []).AddRange(destination.Skip(budget).Select(c => c.Id));
        }

        if (excess is null or { Count: 0 })
        {
            return claimed;
        }

        store.Release(excess);
        var released = excess.ToHashSet();
        return [.. claimed.Where(c => !released.Contains(c.Id))];
    }

    /// <summary>
    /// A destination whose hold has run out is probed: one job of the claim is sent, the others go
    /// back, and the destination sits out other claims until the probe's answer is in.
    /// </summary>
    private IReadOnlyList<ClaimedDelivery> KeepProbes(IReadOnlyList<ClaimedDelivery> claimed, long now)
    {
        List<long>? excess = null;
        foreach (var destination in claimed.GroupBy(c => c.DestinationId))
        {
            if (!_holds.TryGetValue(destination.Key, out var hold))
            {
                continue;
            }

            // The other claim loop may have started this destination's probe, or held it again after one,
            // since this claim was read: then none of its jobs goes.
            var probing = hold.Until > now || !_holds.TryUpdate(destination.Key, hold with { Until = long.MaxValue }, hold);
            (excess ??= []).AddRange(destination.Skip(probing ? 0 : 1).Select(c => c.Id));
        }

        if (excess is null or { Count: 0 })
        {
            return claimed;
        }

        store.Release(excess);
        var released = excess.ToHashSet();
        return [.. claimed.Where(c => !released.Contains(c.Id))];
    }

    /// <summary>
    /// A destination whose attempts fail as if it were down (retryable answers, timeouts, network
    /// errors) is held: its jobs are not claimed for a while that doubles with each failed probe (from half a
    /// second), up to <see cref="DeliveryOptions.MaxHold"/>, and each time the hold runs out one request probes it.
    /// The first delivered attempt lifts the hold and makes its retrying deliveries due at once, so
    /// the backlog flows as soon as the service is back. Without it, a dead host with a large backlog
    /// is tried thousands of times a second.
    /// </summary>
    private void UpdateHolds(IReadOnlyList<ClaimedDelivery> claimed, Dictionary<long, DeliveryStatus> statuses, long now)
    {
        foreach (var destination in claimed.GroupBy(c => c.DestinationId))
        {
            var results = destination.Where(c => statuses.ContainsKey(c.Id)).Select(c => statuses[c.Id]).ToList();
            if (results.Contains(DeliveryStatus.Delivered))
            {
                // After an outage (two failed probes or more), what waits to be retried goes now; after a
                // single failure it keeps its own backoff, so that one event a service always refuses with
                // a 5xx is not retried each time another event goes through.
                if (_holds.TryRemove(destination.Key, out var lifted) && lifted.Failures >= 2 && store.ResumeRetries(destination.Key, now) > 0)
                {
                    _wake.Set();
                }
            }
            else if (results.Contains(DeliveryStatus.Retrying))
            {
                var failures = (_holds.TryGetValue(destination.Key, out var hold) ? hold.Failures : 0) + 1;
                // Half the retry backoff's bound, so that the hold rarely pushes back a job's own next attempt.
                var wait = Math.Min(options.MaxHold.TotalMilliseconds, options.BaseDelay.TotalMilliseconds * Math.Pow(2, failures - 1) / 2);
                _holds[destination.Key] = new Hold(failures, now + (long)wait);
            }
            else if (_holds.TryGetValue(destination.Key, out var probed) && probed.Until == long.MaxValue)
            {
                // The probe ended some other way (skipped, failed for good): probe again at once.
                _holds[destination.Key] = probed with { Until = now };
            }
        }
    }

    /// <summary>
    /// Jobs sent together: one each, except for mappings that turn batching on (<c>batch_size</c> above 0,
    /// an action with performBatch), whose jobs due together share requests when their <c>batch_keys</c>
    /// fields are equal, up to <c>batch_size</c> a request.
    /// </summary>
    private IEnumerable<IReadOnlyList<Job>> Units(IReadOnlyList<ClaimedDelivery> claimed)
    {
        var batches = new Dictionary<string, List<Job>>(StringComparer.Ordinal);
        foreach (var delivery in claimed)
        {
            var job = new Job(delivery, table.Find(delivery.DestinationId));
            var size = job.Payload?["batch_size"] is JsonValue v && v.TryGetValue<double>(out var n) ? (int)n : 0;
            if (size <= 1 || job.Action?.PerformBatch is null)
            {
                yield return [job];
                continue;
            }

            var keys = job.Payload!["batch_keys"] is JsonArray names ? names.Select(k => (string?)k ?? "") : [];
            var key = string.Join("\u0001", [delivery.DestinationId, delivery.Mapping, .. keys.Select(k => job.Payload[k]?.ToJsonString() ?? "")]);
            if (!batches.TryGetValue(key, out var batch))
            {
                batches[key] = batch = [];
            }

            batch.Add(job);
            if (batch.Count == size)
            {
                yield return batch;
                batches[key] = [];
            }
        }

        foreach (var batch in batches.Values.Where(b => b.Count > 0))
        {
            yield return batch;
        }
    }

    /// <returns>Each job's result, or null for a job not sent because its destination looked down earlier in the claim.</returns>
    private async Task<IReadOnlyList<(long Id, AttemptResult? Result)>> SendAsync(IReadOnlyList<Job> unit, DownInClaim down, CancellationToken cancellation)
    {
        var destinationId = unit[0].Delivery.DestinationId;
        var gate = _concurrency.GetOrAdd(destinationId, _ => new SemaphoreSlim(options.MaxConcurrencyPerDestination));
        try
        {
            await gate.WaitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            Release(unit);
            throw;
        }

        try
        {
            // Once a request of this claim found the destination down, the rest of its jobs wait for the hold's probe.
            if (down.IsDown(destinationId))
            {
                return [.. unit.Select(job => (job.Delivery.Id, (AttemptResult?)null))];
            }

            var results = await AttemptAsync(unit, cancellation);
            down.Record(destinationId, results);

            return [.. unit.Select((job, i) => (job.Delivery.Id, (AttemptResult?)results[i]))];
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Shutting down mid-send: give the jobs back; they may have reached the service, hence at-least-once.
            Release(unit);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    private void Release(IReadOnlyList<Job> unit) => store.Release([.. unit.Select(job => job.Delivery.Id)]);

    private async Task<IReadOnlyList<AttemptResult>> AttemptAsync(IReadOnlyList<Job> unit, CancellationToken cancellation)
    {
        var first = unit[0];
        if (first.Destination is not { } destination || first.Action is not { } action || unit.Any(j => j.Payload is null))
        {
            return Same(new AttemptResult(DeliveryStatus.Failed, null, null, "the destination or its action is no longer in the workspace", null));
        }

        IReadOnlyList<OutgoingRequest> requests;
        try
        {
            requests = unit.Count == 1
                ? action.Perform(new ActionInput(first.Payload!, destination.Settings, first.Delivery.MessageId))
                : action.PerformBatch!(new BatchInput([.. unit.Select(j => j.Payload!)], destination.Settings, [.. unit.Select(j => j.Delivery.MessageId)]));
        }
        catch (ActionError error)
        {
            var failedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
            return [.. unit.Select(job => error.Kind switch
            {
                ActionErrorKind.PayloadInvalid => new AttemptResult(DeliveryStatus.Skipped, null, null, error.Message, null),
                ActionErrorKind.RetryableHttp => RetryPolicy.Retry(options, destination.RetryWindow, job.Delivery.Attempts, job.Delivery.CreatedAt, failedAt, null, null, null, error.Message),
                ActionErrorKind.CredentialsRefused => new AttemptResult(DeliveryStatus.Failed, null, null, $"credentials refused: {error.Message}; not retried", null),
                _ => new AttemptResult(DeliveryStatus.Failed, null, null, $"{error.Message}; not retried", null),
            })];
        }
        catch (Exception exception)
        {
            // A bug in an action must not loop: fail the delivery, say so, keep the stack in the log.
            LogDeliveryFailed(exception, first.Delivery.DestinationId, first.Delivery.MessageId);
            return Same(new AttemptResult(DeliveryStatus.Failed, null, null, $"internal error in action '{first.Delivery.Action}': {exception.Message}", null));
        }

        var outcome = await SendRequestsAsync(destination, requests, cancellation);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return [.. unit.Select(job => outcome switch
        {
            { Delivered: true } => new AttemptResult(DeliveryStatus.Delivered, outcome.Status, outcome.Body, null, null),
            { Retryable: true } => RetryPolicy.Retry(options, destination.RetryWindow, job.Delivery.Attempts, job.Delivery.CreatedAt, now, outcome.RetryAfter, outcome.Status, outcome.Body, outcome.Reason),
            _ => new AttemptResult(DeliveryStatus.Failed, outcome.Status, outcome.Body, outcome.Reason, null),
        })];

        IReadOnlyList<AttemptResult> Same(AttemptResult result) => [.. unit.Select(_ => result)];
    }

    private async Task<HttpOutcome> SendRequestsAsync(RoutedDestination destination, IReadOnlyList<OutgoingRequest> requests, CancellationToken cancellation)
    {
        ServiceAnswer? last = null;
        foreach (var request in requests)
        {
            await _pacer.WaitTurnAsync(destination.Id, destination.RateLimit, cancellation);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            last = await http.SendAsync(request, cancellation);
            metrics.AttemptSeconds.WithLabels(destination.Id).Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            // A service may echo credentials back; the delivery log is readable by every role.
            last = last with { Body = destination.Secrets.HideOrNull(last.Body) };
            if (last.Succeeded)
            {
                continue;
            }

            if (last.Status is not { } status)
            {
                return new HttpOutcome(false, last.CanRetry, null, null, last.Failure!, null);
            }

            var explanation = request.ExplainFailure?.Invoke(status);
            var kind = request.ClassifyAnswer?.Invoke(status, last.Body) ?? ActionError.KindOf(status);
            return kind switch
            {
                ActionErrorKind.RetryableHttp => HttpOutcome.Retry(status, last.Body, explanation is null ? last.Summary : $"{last.Summary}: {explanation}", last.RetryAfter),
                ActionErrorKind.CredentialsRefused => new HttpOutcome(false, false, status, last.Body, $"{last.Summary}: {explanation ?? "the service refused the credentials"}; not retried", null),
                ActionErrorKind.PayloadInvalid => new HttpOutcome(false, false, status, last.Body, $"{last.Summary}: {explanation ?? "the service refused the event"}; not retried", null),
                _ => new HttpOutcome(false, false, status, last.Body, $"{last.Summary}: {explanation ?? "the service refused the request"}; not retried", null),
            };
        }

        return new HttpOutcome(true, false, last?.Status, last?.Body, "", null);
    }

    /// <summary>A claimed delivery with what sending it needs, parsed once.</summary>
    private sealed class Job(ClaimedDelivery delivery, RoutedDestination? destination)
    {
        public ClaimedDelivery Delivery { get; } = delivery;

        public RoutedDestination? Destination { get; } = destination;

        public ActionDefinition? Action { get; } = destination?.Definition.Actions.GetValueOrDefault(delivery.Action);

        public JsonObject? Payload { get; } = JsonNode.Parse(delivery.Payload) as JsonObject;
    }

    private sealed record Hold(int Failures, long Until);

    /// <summary>
    /// Within one claim, a destination looks down after three retryable failures and no delivery:
    /// its remaining jobs are not sent, so an outage costs a claim a few requests, not hundreds.
    /// </summary>
    private sealed class DownInClaim
    {
        private const int FailuresToLookDown = 3;
        private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);

        public bool IsDown(string destinationId) => _failures.TryGetValue(destinationId, out var failures) && failures >= FailuresToLookDown;

        public void Record(string destinationId, IReadOnlyList<AttemptResult> results)
        {
            if (results.Any(r => r.Status == DeliveryStatus.Delivered))
            {
                // A delivery shows the service is up: failures of this claim are about their events.
                _failures[destinationId] = int.MinValue;
            }
            else if (results.Any(r => r.Status == DeliveryStatus.Retrying))
            {
                _failures.AddOrUpdate(destinationId, 1, (_, failures) => failures == int.MinValue ? failures : failures + 1);
            }
        }
    }

    /// <summary>What the service's answers to one attempt's requests come to.</summary>
    private sealed record HttpOutcome(bool Delivered, bool Retryable, int? Status, string? Body, string Reason, TimeSpan? RetryAfter)
    {
        public static HttpOutcome Retry(int? status, string? body, string reason, TimeSpan? retryAfter) => new(false, true, status, body, reason, retryAfter);
    }

    [LoggerMessage(EventId = EventIds.DispatchFailed, Level = LogLevel.Error, Message = "Claiming or recording deliveries failed; retrying in a moment")]
    private partial void LogDispatchFailed(Exception exception);

    [LoggerMessage(EventId = EventIds.DeliveryFailed, Level = LogLevel.Error, Message = "An action threw for destination {DestinationId}, message {MessageId}")]
    private partial void LogDeliveryFailed(Exception exception, string destinationId, string messageId);
}
