namespace Sluice.Storage;

/// <summary>Where a delivery stands. Pending and retrying are waiting to be sent; the rest are final until a replay.</summary>
internal enum DeliveryStatus
{
    Pending,
    Retrying,
    Delivered,
    Failed,
    Skipped,
    Filtered,
}

/// <summary>A status as the Admin API, the metrics and the store spell it: lower case.</summary>
internal static class DeliveryStatusNames
{
    public static string Name(this DeliveryStatus status) => status.ToString().ToLowerInvariant();

    public static DeliveryStatus ParseStatus(string name) => Enum.Parse<DeliveryStatus>(name, ignoreCase: true);
}

/// <summary>One stored message, as the router reads it: its log row's position, its index in the row, its source and its JSON.</summary>
internal sealed record LoggedMessage(long Position, int Index, string SourceId, byte[] Json);

/// <summary>A delivery the router decided on: a job to send (with its validated payload) or a final outcome with its reason.</summary>
internal sealed record NewDelivery(
    string DestinationId,
    string? Mapping,
    string? Action,
    string MessageId,
    long LogPosition,
    int MessageIndex,
    DeliveryStatus Status,
    string? Reason,
    byte[]? Payload)
{
    /// <summary>For an ordered destination: whose deliveries wait for one another (null: not ordered).</summary>
    public string? UserKey { get; init; }

    /// <summary>
    /// The attempt already made, when the dispatcher sent it as it was routed: it is recorded with this
    /// outcome and one attempt (its status is the outcome's), rather than recorded pending and sent later.
    /// </summary>
    public AttemptResult? FirstAttempt { get; init; }

    /// <summary>The requests to send, built as it was routed (<see cref="Sluice.Actions.Kit.ActionDefinition.PerformOnFields"/>); kept in memory only.</summary>
    public IReadOnlyList<Sluice.Actions.Kit.OutgoingRequest>? Requests { get; init; }
}

/// <summary>The node claiming (its name in the store's node list), and since when a node must have beaten to count as alive.</summary>
internal sealed record DeliveryClaimer(string Node, long NodesAliveSince);

/// <summary>A job the dispatcher holds a lease on.</summary>
internal sealed record ClaimedDelivery(
    long Id,
    string DestinationId,
    string Mapping,
    string Action,
    string MessageId,
    long LogPosition,
    int MessageIndex,
    int Attempts,
    long CreatedAt,
    byte[] Payload)
{
    /// <summary>The requests built as it was routed, for a delivery sent at once (<see cref="NewDelivery.Requests"/>); null when claimed from the store.</summary>
    public IReadOnlyList<Sluice.Actions.Kit.OutgoingRequest>? Requests { get; init; }
}

/// <summary>A delivery as the Admin API shows it.</summary>
internal sealed record DeliveryRecord(
    long Id,
    string MessageId,
    string? Mapping,
    string? Action,
    DeliveryStatus Status,
    int Attempts,
    int? HttpStatus,
    string? Response,
    string? Reason,
    long CreatedAt,
    long UpdatedAt,
    long? NextAttemptAt);

/// <summary>The outcome of one attempt, written back by the dispatcher.</summary>
internal sealed record AttemptResult(DeliveryStatus Status, int? HttpStatus, string? Response, string? Reason, long? NextAttemptAt);

/// <summary>
/// Delivery jobs and the delivery log: one record per (event, mapping) or per (event, destination)
/// when nothing ran. Claims are leases, so several processes can share the work (the PostgreSQL
/// backend's <c>FOR UPDATE SKIP LOCKED</c>); an expired lease makes a job claimable again.
/// </summary>
internal interface IDeliveryStore
{
    /// <summary>
    /// Records the router's decisions and moves its cursors, in one transaction; throws
    /// <see cref="EventLog.LeaseLostException"/>, recording nothing, when a cursor's lease moved on.
    /// </summary>
    void RecordRouted(IReadOnlyList<NewDelivery> deliveries, IReadOnlyList<EventLog.CursorAdvance> advances, long now);

    /// <summary>
    /// Leases up to <paramref name="max"/> due jobs, none of the <paramref name="heldDestinations"/>. With a
    /// <paramref name="claimer"/>, a job whose lease is still on but whose claimer has stopped beating (a node
    /// killed) is due as well, so that its work waits for the node's death to be noticed, not for the lease.
    /// A delivery with a user key (an ordered destination's) is due only while no earlier one of the same
    /// user to the same destination waits: one at a time per user, in log order.
    /// </summary>
    IReadOnlyList<ClaimedDelivery> ClaimDue(long now, long leaseUntil, int max, IReadOnlyCollection<string> heldDestinations, DeliveryClaimer? claimer = null);

    /// <summary>The earliest next attempt of a pending or retrying job (its lease may still hold it), or null when none waits.</summary>
    long? NextDueAt();

    /// <summary>Writes the outcomes of attempts, all in one transaction.</summary>
    void RecordAttempts(IReadOnlyList<(long Id, AttemptResult Result)> attempts, long now);

    /// <summary>Gives claimed jobs back untouched (shutdown, pacing), in one transaction, so that another claim can take them at once.</summary>
    void Release(IReadOnlyList<long> ids);

    /// <summary>Makes the destination's retrying deliveries due now (its service answered again); returns how many.</summary>
    int ResumeRetries(string destinationId, long now);


    IReadOnlyList<DeliveryRecord> List(string destinationId, DeliveryStatus? status, int limit);

    IReadOnlyDictionary<DeliveryStatus, long> Stats(string destinationId);

    /// <summary>Per destination with deliveries waiting (pending or retrying): how many, and when the oldest was created.</summary>
    IReadOnlyList<(string DestinationId, long Count, long OldestCreatedAt)> Waiting();

    /// <summary>Deliveries by status and by time bucket of their last change, since <paramref name="since"/> (Unix ms).</summary>
    IReadOnlyList<(long BucketStart, DeliveryStatus Status, long Count)> Timeline(string destinationId, long since, long bucketMilliseconds);

    /// <summary>Deletes final records (delivered, skipped, filtered; failed ones stay for replay) last changed before <paramref name="olderThan"/>, at most <paramref name="max"/>; returns how many.</summary>
    /// <remarks><paramref name="scope"/> narrows it to one destination's records or to every destination but some (per-destination retention).</remarks>
    int PruneFinished(long olderThan, int max, EventLog.RetentionScope? scope = null);

    /// <summary>
    /// For deliveries of ordered destinations: how many of the same user's deliveries to the same
    /// destination wait behind each (pending or retrying, later in the log).
    /// </summary>
    IReadOnlyDictionary<long, int> WaitingBehind(IReadOnlyCollection<long> ids);

    /// <summary>Makes deliveries of a destination with <paramref name="status"/> (created in the range) due again; returns how many.</summary>
    int Requeue(string destinationId, DeliveryStatus status, long? since, long? until, long now);
}
