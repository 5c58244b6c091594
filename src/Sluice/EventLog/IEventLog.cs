namespace Sluice.EventLog;

/// <summary>
/// The event log: every accepted message, in partitions (<see cref="EventPartitions"/>), each
/// ordered by position in commit order. The ingest writer appends (group commits, one at a time per
/// process unless <see cref="ConcurrentAppends"/> allows more); consumers read a partition after
/// their cursor. A read never passes a position whose transaction has not committed while a lower
/// one may still commit: what a reader has passed is never filled in behind it. Implementations must
/// not assume they are the only process writing.
/// </summary>
internal interface IEventLog : IDisposable
{
    /// <summary>A read stops once the messages it read reach this many bytes (always one row at least): a reader's memory stays bounded.</summary>
    const long MaxReadBytes = 2 * 1024 * 1024;

    /// <summary>The number of partitions, fixed when the store was created.</summary>
    int PartitionCount { get; }

    /// <summary>
    /// Whether a commit is readable as soon as <see cref="Append"/> returns (SQLite), or may become
    /// readable a moment later (PostgreSQL: once every older transaction has ended); readers woken by an
    /// append look again shortly when it is not.
    /// </summary>
    bool ReadableOnCommit { get; }

    /// <summary>
    /// How many <see cref="Append"/> calls this process may have under way at once: 1 where the store has
    /// one writer (SQLite), more where commits run side by side (PostgreSQL).
    /// </summary>
    int ConcurrentAppends { get; }

    /// <summary>
    /// Stores every event of <paramref name="group"/> in one durable transaction, skipping events
    /// whose (source, messageId) was accepted at or after <paramref name="dedupeSince"/>. Returns
    /// only once the transaction is on disk; sets <see cref="PendingEvent.IsDuplicate"/>.
    /// </summary>
    void Append(IReadOnlyList<EventBatch> group, long now, long dedupeSince);

    /// <summary>
    /// The rows of one partition after <paramref name="after"/>, in order: at most <paramref name="maxRows"/>,
    /// and fewer when they hold more than a few MB (always at least one), so a reader's memory is bounded.
    /// </summary>
    IReadOnlyList<LogRow> Read(int partition, long after, int maxRows);

    /// <summary>
    /// The rows after <paramref name="after"/> of the given partitions (null: all), in position order,
    /// at most <paramref name="maxRows"/> and about <paramref name="maxBytes"/> of messages (always at least
    /// one row): one read for a consumer that holds many partitions.
    /// </summary>
    IReadOnlyList<LogRow> ReadFrom(long after, int maxRows, IReadOnlySet<int>? partitions, long maxBytes = MaxReadBytes);

    /// <summary>The highest position readable now (0 for an empty log): where a consumer that starts "now" begins.</summary>
    long Head();

    /// <summary>
    /// For each partition's cursor, when the first readable row after it was received (Unix ms): how far
    /// behind a consumer is. Partitions with nothing to read are left out.
    /// </summary>
    IReadOnlyDictionary<int, long> FirstUnreadReceivedAt(IReadOnlyDictionary<int, long> cursors);

    /// <summary>
    /// A source's stored messages, newest first, exactly as stored (UTF-8 JSON): at most
    /// <paramref name="limit"/> of them and about <paramref name="maxBytes"/> (always at least one),
    /// from <paramref name="from"/> on (null: the newest). The page says where the next one starts.
    /// </summary>
    EventPage ReadNewest(string sourceId, int limit, EventPosition? from, int maxBytes);

    /// <summary>
    /// Replaces a row's messages (a deletion regulation erasing some of them, <see cref="LogMessages.Erase"/>),
    /// durably; the row keeps its position, partition and count. False when the log no longer has the row.
    /// </summary>
    bool Rewrite(long position, byte[] messages);

    /// <summary>Commits a one-row write, durably, to learn whether the store can commit now (a full disk cannot); throws when it cannot.</summary>
    void ProbeCommit(long now);

    /// <summary>Forgets messageIds accepted before <paramref name="olderThan"/>, at most <paramref name="max"/> of them; returns how many.</summary>
    int PruneMessageIds(long olderThan, int max);

    /// <summary>
    /// Removes events received before <paramref name="olderThan"/> that every consumer has passed (an event
    /// a consumer has not read yet stays, however old), about <paramref name="max"/> at a time; returns how
    /// many went. Deliveries keep their own payloads: replay does not need the log.
    /// </summary>
    /// <remarks>
    /// <paramref name="scope"/> narrows it to one source's rows or to every source but some (per-source
    /// retention); PostgreSQL then deletes in slices of <paramref name="max"/> instead of dropping days.
    /// </remarks>
    long DropBefore(long olderThan, int max, RetentionScope? scope = null);
}

/// <summary>
/// A row of the log: messages of one source and one partition stored by one group commit, as one
/// JSON array (<see cref="LogMessages"/>) in the order they were accepted.
/// </summary>
internal sealed record LogRow(long Position, int Partition, string SourceId, long ReceivedAt, byte[] Messages);

/// <summary>A stored message's place: its log row's position and its index in the row.</summary>
internal readonly record struct EventPosition(long Position, int Index)
{
    /// <summary>"position.index", as the Admin API's <c>before</c> cursor.</summary>
    public override string ToString() => $"{Position}.{Index}";

    public static bool TryParse(string? text, out EventPosition position)
    {
        position = default;
        var dot = text?.IndexOf('.') ?? -1;
        if (dot <= 0 || !long.TryParse(text.AsSpan(0, dot), System.Globalization.NumberStyles.None, null, out var seq)
            || !int.TryParse(text.AsSpan(dot + 1), System.Globalization.NumberStyles.None, null, out var index))
        {
            return false;
        }

        position = new EventPosition(seq, index);
        return true;
    }
}

/// <summary>A page of a source's messages, newest first, and where the next (older) page starts, or null at the end.</summary>
internal sealed record EventPage(IReadOnlyList<byte[]> Messages, EventPosition? Next);

/// <summary>The accepted messages of one request, all of one source.</summary>
internal sealed class EventBatch(string sourceId, IReadOnlyList<PendingEvent> events, long receivedAt)
{
    public string SourceId { get; } = sourceId;

    public IReadOnlyList<PendingEvent> Events { get; } = events;

    public long ReceivedAt { get; } = receivedAt;
}

/// <summary>One normalized message waiting for the group commit.</summary>
internal sealed class PendingEvent(string messageId, bool checkDuplicate, string type, byte[] body, int partition)
{
    public string MessageId { get; } = messageId;

    /// <summary>False for server-generated messageIds, which cannot collide.</summary>
    public bool CheckDuplicate { get; } = checkDuplicate;

    public string Type { get; } = type;

    public byte[] Body { get; } = body;

    /// <summary>The log partition of the message's user (<see cref="EventPartitions"/>).</summary>
    public int Partition { get; } = partition;

    public bool IsDuplicate { get; set; }
}
