namespace Sluice.Storage;

/// <summary>
/// A destination held after failing as if it were down: how many holds in a row, and until when. While a
/// probe is out, until when it may take: past that, its node is taken for dead and another claim probes.
/// </summary>
internal sealed record DestinationHold(string DestinationId, int Failures, long Until);

/// <summary>
/// What the dispatchers of every node share about each destination: its hold (the circuit after
/// repeated failures) and its rate limit's budget. Kept in the store, so that a second node neither
/// hammers a service the first found down nor sends at twice its rate limit.
/// </summary>
internal interface IDestinationState
{
    /// <summary>Every destination held now or probing.</summary>
    IReadOnlyDictionary<string, DestinationHold> ReadHolds();

    /// <summary>
    /// Starts the probe of a hold that ran out, if it is still the hold read (no other claim started it):
    /// true when this caller probes. The hold then lasts until <paramref name="probeUntil"/>, so that a probe
    /// whose node is killed or paused holds the destination no longer than that, on any node.
    /// </summary>
    bool TryStartProbe(DestinationHold seen, long probeUntil);

    /// <summary>One more failure: the hold's count goes up and it lasts until <paramref name="until"/>(failures); returns the new count.</summary>
    int Hold(string destinationId, Func<int, long> until);

    /// <summary>Lifts the hold; returns how many failures it had counted, or null when there was none.</summary>
    int? Lift(string destinationId);

    /// <summary>A probe that ended without an answer about the service (skipped, failed for good): the next claim probes again (if the probe's time has not run out already).</summary>
    void ProbeAgain(string destinationId, long now);

    /// <summary>
    /// Reserves <paramref name="count"/> send slots <paramref name="intervalMicroseconds"/> apart from the
    /// destination's shared budget: returns when the first may go (Unix µs), never before <paramref name="nowMicroseconds"/>.
    /// </summary>
    long ReserveSendSlots(string destinationId, int count, long intervalMicroseconds, long nowMicroseconds);
}
