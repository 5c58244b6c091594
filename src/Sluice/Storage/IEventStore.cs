namespace Sluice.Storage;

/// <summary>
/// The inbox: every accepted message, per source. Written only by the ingest writer (one group
/// commit at a time per process); read by the debugger and, later, the router. Implementations
/// must not assume they are the only process writing (the PostgreSQL backend runs on several nodes).
/// </summary>
public interface IEventStore : IDisposable
{
    /// <summary>
    /// Stores every event of <paramref name="group"/> in one durable transaction, skipping events
    /// whose (source, messageId) was accepted at or after <paramref name="dedupeSince"/>. Returns
    /// only once the transaction is on disk; sets <see cref="PendingEvent.IsDuplicate"/>.
    /// </summary>
    void Append(IReadOnlyList<EventBatch> group, long now, long dedupeSince);

    /// <summary>
    /// A source's stored messages, newest first, exactly as stored (UTF-8 JSON): at most
    /// <paramref name="limit"/> of them and about <paramref name="maxBytes"/> (always at least one),
    /// from <paramref name="from"/> on (null: the newest). The page says where the next one starts.
    /// </summary>
    EventPage ReadNewest(string sourceId, int limit, EventPosition? from, int maxBytes);

    /// <summary>Commits a one-row write, durably, to learn whether the store can commit now (a full disk cannot); throws when it cannot.</summary>
    void ProbeCommit(long now);

    /// <summary>Forgets messageIds accepted before <paramref name="olderThan"/>, at most <paramref name="max"/> of them; returns how many.</summary>
    int PruneMessageIds(long olderThan, int max);
}

/// <summary>A stored message's place: its inbox row and its index in the row.</summary>
public readonly record struct EventPosition(long Seq, int Index)
{
    /// <summary>"seq.index", as the Admin API's <c>before</c> cursor.</summary>
    public override string ToString() => $"{Seq}.{Index}";

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
public sealed record EventPage(IReadOnlyList<byte[]> Messages, EventPosition? Next);

/// <summary>The accepted messages of one request, all of one source.</summary>
public sealed class EventBatch(string sourceId, IReadOnlyList<PendingEvent> events, long receivedAt)
{
    public string SourceId { get; } = sourceId;

    public IReadOnlyList<PendingEvent> Events { get; } = events;

    public long ReceivedAt { get; } = receivedAt;
}

/// <summary>One normalized message waiting for the group commit.</summary>
public sealed class PendingEvent(string messageId, bool checkDuplicate, string type, byte[] body)
{
    public string MessageId { get; } = messageId;

    /// <summary>False for server-generated messageIds, which cannot collide.</summary>
    public bool CheckDuplicate { get; } = checkDuplicate;

    public string Type { get; } = type;

    public byte[] Body { get; } = body;

    public bool IsDuplicate { get; set; }
}
