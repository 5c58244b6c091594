using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>
/// A destination whose attempts fail as if it were down (retryable answers, timeouts, network
/// errors) is held: its jobs are not claimed for a while that doubles with each failed probe (from
/// half a second), up to <see cref="DeliveryOptions.MaxHold"/>, and each time the hold runs out one
/// request probes it. The first delivered attempt lifts the hold, and after an outage (two failed
/// probes or more) makes its retrying deliveries due at once, so the backlog flows as soon as the
/// service is back. Without it, a dead host with a large backlog is tried thousands of times a
/// second. Holds live in the store (<see cref="IDestinationState"/>): every node sees them.
/// </summary>
internal sealed class DestinationHolds(IDestinationState state, DeliveryOptions options)
{
    /// <summary>
    /// How long a read of the holds serves the next claims. Holds are rare and claims frequent (dozens a
    /// second under load): another node's new hold shows here within this; this node's own at once.
    /// </summary>
    private const long ReadEveryMilliseconds = 100;

    private volatile Snapshot? _read;

    /// <summary>The holds as one claim sees them.</summary>
    public IReadOnlyDictionary<string, DestinationHold> Read()
    {
        var now = Environment.TickCount64;
        if (_read is { } read && now - read.At < ReadEveryMilliseconds)
        {
            return read.Holds;
        }

        var holds = state.ReadHolds();
        _read = new Snapshot(holds, now);
        return holds;
    }

    /// <summary>Destinations none of whose jobs may be claimed now.</summary>
    public static IEnumerable<string> HeldAt(IReadOnlyDictionary<string, DestinationHold> holds, long now) =>
        holds.Values.Where(h => h.Until > now).Select(h => h.DestinationId);

    /// <summary>
    /// Of a claim, keeps one job of each destination whose hold ran out (its probe) and returns the
    /// others to give back; a destination another claim is probing gives back all of its jobs.
    /// </summary>
    public List<long> KeepProbes(IReadOnlyList<ClaimedDelivery> claimed, IReadOnlyDictionary<string, DestinationHold> holds, long now)
    {
        var excess = new List<long>();
        foreach (var destination in claimed.GroupBy(c => c.DestinationId))
        {
            if (!holds.TryGetValue(destination.Key, out var hold))
            {
                continue;
            }

            // Another claim (of this node or another) may have started the probe since the holds were read. A probe
            // holds the destination for two request timeouts at most: its attempt cannot take longer, so past
            // that its node was killed or paused, and a probe with no end would hold it on every node for good.
            var probing = hold.Until > now || !state.TryStartProbe(hold, now + (long)(2 * options.RequestTimeout.TotalMilliseconds));
            if (!probing)
            {
                _read = null;
            }

            excess.AddRange(destination.Skip(probing ? 0 : 1).Select(c => c.Id));
        }

        return excess;
    }

    /// <summary>Updates the holds with a claim's outcomes; returns the destinations whose retries should go now (an outage ended).</summary>
    public List<string> Record(IReadOnlyList<ClaimedDelivery> claimed, IReadOnlyDictionary<long, DeliveryStatus> statuses, IReadOnlyDictionary<string, DestinationHold> holds, long now)
    {
        var resume = new List<string>();
        foreach (var destination in claimed.GroupBy(c => c.DestinationId))
        {
            var results = destination.Where(c => statuses.ContainsKey(c.Id)).Select(c => statuses[c.Id]).ToList();
            if (results.Contains(DeliveryStatus.Delivered))
            {
                // After a single failure what waits keeps its own backoff, so that one event a service
                // always refuses with a 5xx is not retried each time another event goes through.
                if (holds.ContainsKey(destination.Key))
                {
                    _read = null;
                    if (state.Lift(destination.Key) >= 2)
                    {
                        resume.Add(destination.Key);
                    }
                }
            }
            else if (results.Contains(DeliveryStatus.Retrying))
            {
                // Half the retry backoff's bound, so that the hold rarely pushes back a job's own next attempt.
                state.Hold(destination.Key, failures => now + (long)Math.Min(options.MaxHold.TotalMilliseconds, options.BaseDelay.TotalMilliseconds * Math.Pow(2, failures - 1) / 2));
                _read = null;
            }
            else if (holds.ContainsKey(destination.Key))
            {
                // The probe ended some other way (skipped, failed for good): probe again at once.
                state.ProbeAgain(destination.Key, now);
                _read = null;
            }
        }

        return resume;
    }

    private sealed record Snapshot(IReadOnlyDictionary<string, DestinationHold> Holds, long At);
}
