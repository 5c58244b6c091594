using Sluice.Actions.Kit;
using Sluice.Delivery;
using Sluice.Privacy.Store;
using Sluice.Routing;
using Sluice.Workspace;

namespace Sluice.Privacy.Erasure;

/// <summary>
/// A deletion's requests to destinations: each destination whose catalog entry can delete a user
/// (<see cref="DestinationDefinition.OnDelete"/>, FullStory's) gets its request per subject, retried like a
/// delivery (backoff, <c>Retry-After</c>, the destination's retry window), with the service's answer kept.
/// </summary>
internal sealed class DestinationDeletions(RegulationStore store, RoutingTable table, DestinationHttp http, DeliveryOptions options, TimeProvider time)
{
    private const int RequestsPerRound = 20;

    /// <summary>The request made for each destination in force, per subject: waiting to be sent, or not supported (with why).</summary>
    public IReadOnlyList<DestinationRequest> Plan(string regulationId, int subjects, long now) =>
        [.. table.All.OrderBy(d => d.Id, StringComparer.Ordinal).SelectMany(d => Enumerable.Range(0, subjects).Select(i => d.Definition.OnDelete is null
            ? new DestinationRequest(regulationId, d.Id, i, RegulationStatuses.NotSupported, 0, now, null, null, $"{d.Definition.Name} has no deletion request Sluice can send", now)
            : new DestinationRequest(regulationId, d.Id, i, RegulationStatuses.Initialized, 0, now, null, null, null, now)))];

    /// <summary>Sends the requests due now; returns how many were sent (0: nothing was due).</summary>
    public async Task<int> SendDueAsync(string node, long now, CancellationToken cancellation)
    {
        var due = store.ClaimRequests(node, now, now + (long)(options.RequestTimeout.TotalMilliseconds * 3), RequestsPerRound);
        foreach (var (request, subject, createdAt) in due)
        {
            store.RecordRequest(await SendAsync(request, subject, createdAt, cancellation));
        }

        return due.Count;
    }

    private async Task<DestinationRequest> SendAsync(DestinationRequest request, Subject subject, long createdAt, CancellationToken cancellation)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var attempted = request with { Attempts = request.Attempts + 1, UpdatedAt = now };
        if (table.Find(request.DestinationId) is not { Definition.OnDelete: { } onDelete } destination)
        {
            return attempted with { Status = RegulationStatuses.Failed, Reason = "the destination no longer exists, or can no longer delete users" };
        }

        OutgoingRequest outgoing;
        try
        {
            // Segment hands onDelete the userId (and anonymousId): an anonymous id subject has no userId to give.
            outgoing = onDelete(destination.Settings, subject.Type == Subject.UserId ? subject.Id : null);
        }
        catch (DeliverySkippedException skipped)
        {
            return attempted with { Status = RegulationStatuses.NotSupported, Reason = $"{destination.Definition.Name}: {skipped.Message}" };
        }

        var answer = await http.SendAsync(outgoing, cancellation);
        attempted = attempted with { HttpStatus = answer.Status, Response = answer.Body };
        if (answer.Succeeded)
        {
            return attempted with { Status = RegulationStatuses.Finished, Reason = $"deleted ({answer.Summary})" };
        }

        if (answer.Status == 404)
        {
            // The service does not know the user: nothing is left to delete there (a documented choice, docs/privacy.md).
            return attempted with { Status = RegulationStatuses.Finished, Reason = $"the service does not know this user: nothing to delete ({answer.Summary})" };
        }

        if (!answer.CanRetry)
        {
            var credentials = answer.Status is 401 or 403 ? ": the destination's credentials may not delete users (FullStory's must be an Admin or Architect key)" : "";
            return attempted with { Status = RegulationStatuses.Failed, Reason = answer.Summary + credentials };
        }

        var retry = RetryPolicy.Retry(options, destination.RetryWindow, request.Attempts, createdAt, now, answer.RetryAfter, answer.Status, answer.Body, answer.Summary);
        return retry.NextAttemptAt is { } next
            ? attempted with { Status = RegulationStatuses.Running, NextAttemptAt = next, Reason = $"retrying: {answer.Summary}" }
            : attempted with { Status = RegulationStatuses.Failed, Reason = retry.Reason };
    }
}
