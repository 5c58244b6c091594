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
    IDestinationState destinationState,
    EventLog.PartitionOwnership ownership,
    EventLog.EventLogOptions logOptions,
    ILogger<Dispatcher> logger) : BackgroundService, IRoutedSender
{
    private const int ClaimSize = 500;
    private const int ClaimLoops = 2;
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _concurrency = new(StringComparer.Ordinal);
    private readonly EventLog.WakeSignal _wake = waiting.Signal;
    private readonly DestinationHolds _holds = new(destinationState, options);
    private readonly RatePacer _pacer = new(destinationState, time);
    private readonly ConcurrentDictionary<string, long> _pacedUntil = new(StringComparer.Ordinal);

    /// <summary>New jobs exist, or held ones may go (the Admin API calls this after a change).</summary>
    public void Notify() => _wake.Set();

    /// <summary>Sends every job due now; returns how many were attempted (tests drive time with this).</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellation)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var holds = _holds.Read();
        var held = DestinationHolds.HeldAt(holds, now)
            .Concat(_pacedUntil.Where(p => p.Value > now).Select(p => p.Key))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var leaseUntil = now + (long)options.Lease.TotalMilliseconds;
        var claimer = new DeliveryClaimer(ownership.Owner, now - (long)logOptions.LeaseDuration.TotalMilliseconds);
        var claimed = KeepProbes(KeepPaceable(store.ClaimDue(now, leaseUntil, ClaimSize, held, claimer), now), holds, now);
        if (claimed.Count == 0)
        {
            return 0;
        }

        // One transaction records the whole claim: a commit per delivery would cap sending at the disk's flush rate.
        // A job carries its validated payload, so sending reads nothing else.
        var down = new DownInClaim();
        var outcomes = (await Task.WhenAll(DeliveryUnits.Of(claimed, table).Select(unit => SendAsync(unit, down, leaseUntil, GiveBack, cancellation)))).SelectMany(o => o).ToList();
        var recorded = time.GetUtcNow().ToUnixTimeMilliseconds();
        var destinationOf = claimed.ToDictionary(c => c.Id, c => c.DestinationId);
        var attempted = ReleaseLongQueues(outcomes.Where(o => o.Result is not null).Select(o => (o.Id, o.Result!)).ToList(), destinationOf, down);
        // Counted before they are recorded: whoever reads a recorded outcome finds it counted too.
        foreach (var (id, result) in attempted)
        {
            metrics.Deliveries.WithLabels(destinationOf[id], result.Status.Name()).Inc();
        }

        store.RecordAttempts(attempted, recorded);

        if (outcomes.Count > attempted.Count)
        {
            // Jobs of a destination that looked down mid-claim were not sent: they wait, unattempted, for its next probe.
            store.Release([.. outcomes.Where(o => o.Result is null).Select(o => o.Id)]);
        }

        RecordHolds(claimed, attempted.ToDictionary(o => o.Id, o => o.Item2.Status), holds, recorded);
        return claimed.Count;
    }

    /// <summary>
    /// Sends what the router has just routed, before anything of it is written: a delivery made now is
    /// written once, with its outcome, where a claimed one is written pending, claimed and written again
    /// (on PostgreSQL, three versions of its row). Only deliveries that may go at once take this way:
    /// not an ordered destination's (an earlier one of the user may wait in the store), not a rate-limited
    /// one's (its pace would hold the router), not a held or probed one's (the probe decides). They, and
    /// any not sent within <see cref="DeliveryOptions.SendWhenRoutedFor"/>, are returned pending for the
    /// claim loops. The router's commit records the outcomes with its cursors: a crash or a lost lease
    /// before it sends them again, at-least-once as for a claim.
    /// </summary>
    /// <remarks>
    /// A step is sent in parts as the router routes them (<see cref="IRoutedStep"/>): its parts share the
    /// time to start, counted from the first part, and what a part finds down is not sent by the next.
    /// </remarks>
    public IRoutedStep BeginStep(Action beforeSending) =>
        new RoutedStep(this, beforeSending, time.GetUtcNow().ToUnixTimeMilliseconds() + (long)(options.SendWhenRoutedFor + options.RequestTimeout).TotalMilliseconds);

    /// <returns>A part's deliveries, each sent one with its <see cref="NewDelivery.FirstAttempt"/>, status and reason.</returns>
    private async Task<IReadOnlyList<NewDelivery>> SendPartAsync(IReadOnlyList<NewDelivery> routed, RoutedStep step)
    {
        if (options.SendWhenRoutedFor <= TimeSpan.Zero)
        {
            return routed;
        }

        var holds = _holds.Read();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        List<ClaimedDelivery>? sendable = null;
        for (var i = 0; i < routed.Count; i++)
        {
            var delivery = routed[i];
            if (delivery is { Status: DeliveryStatus.Pending, Mapping: { } mapping, Action: { } action, Payload: { } payload }
                && table.Find(delivery.DestinationId) is { Ordered: false } destination && destination.RateLimit is null or <= 0
                && !holds.ContainsKey(delivery.DestinationId))
            {
                // Its index in what was routed stands for the id it does not have yet.
                (sendable ??= []).Add(new ClaimedDelivery(i, delivery.DestinationId, mapping, action, delivery.MessageId, delivery.LogPosition, delivery.MessageIndex, 0, now, payload) { Requests = delivery.Requests });
            }
        }

        if (sendable is null)
        {
            return routed;
        }

        step.ConfirmOnce();

        // A job may start until the step's budget is spent; one that would start later waits in the store for a claim.
        var outcomes = (await Task.WhenAll(DeliveryUnits.Of(sendable, table).Select(unit => SendAsync(unit, step.Down, step.StartBy, _ => { }, CancellationToken.None))))
            .SelectMany(o => o)
            .Where(o => o.Result is not null)
            .ToDictionary(o => o.Id, o => o.Result!);
        foreach (var (id, result) in outcomes)
        {
            metrics.Deliveries.WithLabels(routed[(int)id].DestinationId, result.Status.Name()).Inc();
        }

        RecordHolds(sendable, outcomes.ToDictionary(o => o.Key, o => o.Value.Status), holds, time.GetUtcNow().ToUnixTimeMilliseconds());
        return [.. routed.Select((delivery, i) => outcomes.TryGetValue(i, out var result)
            ? delivery with { Status = result.Status, Reason = result.Reason, FirstAttempt = result }
            : delivery)];
    }

    /// <summary>Updates the holds with attempts' outcomes; a destination whose outage ended has its retries made due at once.</summary>
    private void RecordHolds(IReadOnlyList<ClaimedDelivery> attempted, IReadOnlyDictionary<long, DeliveryStatus> statuses, IReadOnlyDictionary<string, DestinationHold> holds, long now)
    {
        foreach (var destination in _holds.Record(attempted, statuses, holds, now))
        {
            if (store.ResumeRetries(destination, now) > 0)
            {
                _wake.Set();
            }
        }
    }

    /// <summary>
    /// An ordered destination's delivery to be retried holds its user's later deliveries behind it (the
    /// store claims a user's next only once this one is done). Once <see cref="DeliveryOptions.OrderedMaxWaiting"/>
    /// wait, it fails instead, so that they go on; it can be replayed. Not while the destination looks down
    /// for everyone in this claim: then every user waits for the hold's probe, and failing heads would
    /// only lose their order.
    /// </summary>
    private List<(long Id, AttemptResult Result)> ReleaseLongQueues(List<(long Id, AttemptResult Result)> attempted, Dictionary<long, string> destinationOf, DownInClaim down)
    {
        var retried = attempted
            .Where(a => a.Result.Status == DeliveryStatus.Retrying && table.Find(destinationOf[a.Id])?.Ordered == true && !down.IsDown(destinationOf[a.Id]))
            .Select(a => a.Id)
            .ToList();
        if (retried.Count == 0)
        {
            return attempted;
        }

        var behind = store.WaitingBehind(retried);
        return [.. attempted.Select(a => behind.TryGetValue(a.Id, out var waiting) && waiting >= options.OrderedMaxWaiting
            ? (a.Id, a.Result with
            {
                Status = DeliveryStatus.Failed,
                NextAttemptAt = null,
                Reason = $"{a.Result.Reason}; failed without further retries: {waiting:N0} later deliveries of this user waited behind it (ordered destination; replay sends it again)",
            })
            : a)];
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

    /// <summary>Gives back the jobs of held destinations but their probes (<see cref="DestinationHolds.KeepProbes"/>).</summary>
    private IReadOnlyList<ClaimedDelivery> KeepProbes(IReadOnlyList<ClaimedDelivery> claimed, IReadOnlyDictionary<string, DestinationHold> holds, long now)
    {
        var excess = _holds.KeepProbes(claimed, holds, now);
        if (excess.Count == 0)
        {
            return claimed;
        }

        store.Release(excess);
        var released = excess.ToHashSet();
        return [.. claimed.Where(c => !released.Contains(c.Id))];
    }

    /// <returns>
    /// Each job's result, or null for a job not sent: its destination looked down earlier in the claim,
    /// or the claim's lease would end before the request could (it is given back; another claim sends it).
    /// </returns>
    private async Task<IReadOnlyList<(long Id, AttemptResult? Result)>> SendAsync(IReadOnlyList<DeliveryJob> unit, DownInClaim down, long leaseUntil, Action<IReadOnlyList<DeliveryJob>> giveBack, CancellationToken cancellation)
    {
        var destinationId = unit[0].Delivery.DestinationId;
        var gate = _concurrency.GetOrAdd(destinationId, _ => new SemaphoreSlim(options.MaxConcurrencyPerDestination));
        try
        {
            await gate.WaitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            giveBack(unit);
            throw;
        }

        try
        {
            // Once a request of this claim found the destination down, the rest of its jobs wait for the hold's probe.
            // A lease must outlive its work: a job whose request could still be running when the lease ends
            // (it waited for its turn too long) is not sent, or another claim could send it as well.
            if (down.IsDown(destinationId) || !LeaseCovers(leaseUntil, TimeSpan.Zero))
            {
                return [.. unit.Select(job => (job.Delivery.Id, (AttemptResult?)null))];
            }

            IReadOnlyList<AttemptResult> results;
            try
            {
                results = await AttemptAsync(unit, leaseUntil, cancellation);
            }
            catch (LeaseEndsFirstException)
            {
                return [.. unit.Select(job => (job.Delivery.Id, (AttemptResult?)null))];
            }

            down.Record(destinationId, results);

            return [.. unit.Select((job, i) => (job.Delivery.Id, (AttemptResult?)results[i]))];
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Shutting down mid-send: give the jobs back; they may have reached the service, hence at-least-once.
            giveBack(unit);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    private void GiveBack(IReadOnlyList<DeliveryJob> unit) => store.Release([.. unit.Select(job => job.Delivery.Id)]);

    /// <summary>True when a request that starts after <paramref name="wait"/> ends, timeout included, before the lease does.</summary>
    private bool LeaseCovers(long leaseUntil, TimeSpan wait) =>
        time.GetUtcNow().ToUnixTimeMilliseconds() + (long)(wait + options.RequestTimeout).TotalMilliseconds < leaseUntil;

    private async Task<IReadOnlyList<AttemptResult>> AttemptAsync(IReadOnlyList<DeliveryJob> unit, long leaseUntil, CancellationToken cancellation)
    {
        var first = unit[0];
        if (first.Destination is not { } destination || first.Action is not { } action || unit.Any(j => j.Delivery.Requests is null && j.Payload is null))
        {
            return Same(new AttemptResult(DeliveryStatus.Failed, null, null, "the destination or its action is no longer in the workspace", null));
        }

        IReadOnlyList<OutgoingRequest> requests;
        try
        {
            requests = unit.Count == 1
                ? first.Delivery.Requests ?? action.Perform(first.Input(destination))
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

        var outcome = await SendRequestsAsync(destination, requests, leaseUntil, cancellation);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return [.. unit.Select(job => outcome switch
        {
            { Delivered: true } => new AttemptResult(DeliveryStatus.Delivered, outcome.Status, outcome.Body, null, null),
            { Retryable: true } => RetryPolicy.Retry(options, destination.RetryWindow, job.Delivery.Attempts, job.Delivery.CreatedAt, now, outcome.RetryAfter, outcome.Status, outcome.Body, outcome.Reason),
            _ => new AttemptResult(DeliveryStatus.Failed, outcome.Status, outcome.Body, outcome.Reason, null),
        })];

        IReadOnlyList<AttemptResult> Same(AttemptResult result) => [.. unit.Select(_ => result)];
    }

    private async Task<HttpOutcome> SendRequestsAsync(RoutedDestination destination, IReadOnlyList<OutgoingRequest> requests, long leaseUntil, CancellationToken cancellation)
    {
        ServiceAnswer? last = null;
        foreach (var request in requests)
        {
            var wait = _pacer.TakeSlot(destination.Id, destination.RateLimit);
            if (!LeaseCovers(leaseUntil, wait))
            {
                // Its slot comes too late for this claim: the job goes back (a request of it already sent is sent again, at-least-once).
                throw new LeaseEndsFirstException();
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellation);
            }

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

    /// <summary>A router step's sending: its parts share the time to start and what was found down.</summary>
    private sealed class RoutedStep(Dispatcher dispatcher, Action beforeSending, long startBy) : IRoutedStep
    {
        private bool _confirmed;

        public long StartBy { get; } = startBy;

        public DownInClaim Down { get; } = new();

        /// <summary>The router hands parts over from its own thread, and this runs before a part's first wait.</summary>
        public void ConfirmOnce()
        {
            if (!_confirmed)
            {
                beforeSending();
                _confirmed = true;
            }
        }

        public Task<IReadOnlyList<NewDelivery>> SendAsync(IReadOnlyList<NewDelivery> part) => dispatcher.SendPartAsync(part, this);
    }

    /// <summary>
    /// Within one claim (or one router step), a destination looks down after three retryable failures
    /// and no delivery: its remaining jobs are not sent, so an outage costs a claim a few requests, not hundreds.
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

    /// <summary>A request's rate-limit slot comes after its claim's lease would end.</summary>
    private sealed class LeaseEndsFirstException : Exception;

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
