namespace Sluice.Storage;

/// <summary>A destination held after failing as if it were down: how many holds in a row, and until when (<see cref="Probing"/>: a probe is out).</summary>
internal sealed record DestinationHold(string DestinationId, int Failures, long Until)
{
    public const long Probing = long.MaxValue;
}

/// <summary>
/// What the dispatchers of every node share about each destination: its hold (the circuit after
/// repeated failures) and its rate limit's budget. Kept in the store, so that a second node neither
/// hammers a service the first found down nor sends at twice its rate limit.
/// </summary>
internal interface IDestinationState
{
    /// <summary>Every destination held now or probing.</summary>
    IReadOnlyDictionary<string, DestinationHold> ReadHolds();

    /// <summary>Starts the probe of a hold that ran out, if it is still the hold read (no other claim started it): true when this caller probes.</summary>
    bool TryStartProbe(DestinationHold seen);

    /// <summary>One more failure: the hold's count goes up and it lasts until <paramref name="until"/>(failures); returns the new count.</summary>
    int Hold(string destinationId, Func<int, long> until);

    /// <summary>Lifts the hold; returns how many failures it had counted, or null when there was none.</summary>
    int? Lift(string destinationId);

    /// <summary>A probe that ended without an answer about the service (skipped, failed for good): the next claim probes again.</summary>
    void ProbeAgain(string destinationId, long now);

    /// <summary>
    /// Reserves <paramref name="count"/> send slots <paramref name="intervalMicroseconds"/> apart from the
    /// destination's shared budget: returns when the first may go (Unix µs), never before <paramref name="nowMicroseconds"/>.
    /// </summary>
    long ReserveSendSlots(string destinationId, int count, long intervalMicroseconds, long nowMicroseconds);
}
