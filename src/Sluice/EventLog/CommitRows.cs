namespace Sluice.EventLog;

/// <summary>
/// A group commit's log rows, as both stores write them: a row holds one source's messages of one
/// partition, opened in the order the group brings them, and a new one is opened once a row's messages
/// pass <see cref="MaxRowBytes"/>.
/// </summary>
internal sealed class CommitRows
{
    /// <summary>
    /// A row's most bytes of messages (one message may be more). Below .NET's large object threshold
    /// (85,000 bytes), so that the arrays readers get are collected and compacted like any other, and
    /// rows are read many at a time, so this bounds what a reader holds; a commit of many large batches
    /// for one user is several rows.
    /// </summary>
    public const int MaxRowBytes = 64 * 1024;

    private readonly Dictionary<(string Source, int Partition), CommitRow> _open = [];
    private readonly List<CommitRow> _rows = [];

    /// <summary>The rows, in the order they were opened.</summary>
    public IReadOnlyList<CommitRow> Rows => _rows;

    public void Add(EventBatch batch, PendingEvent pending)
    {
        if (!_open.TryGetValue((batch.SourceId, pending.Partition), out var row) || (row.Bytes > 0 && row.Bytes + pending.Body.Length > MaxRowBytes))
        {
            _open[(batch.SourceId, pending.Partition)] = row = new CommitRow(batch.SourceId, pending.Partition, batch.ReceivedAt);
            _rows.Add(row);
        }

        row.Messages.Add(pending.Body);
        row.Bytes += pending.Body.Length;
    }

    public void Clear()
    {
        _open.Clear();
        _rows.Clear();
    }
}

/// <summary>One log row of a group commit: its messages, written as a JSON array.</summary>
internal sealed class CommitRow(string source, int partition, long receivedAt)
{
    public string Source { get; } = source;

    public int Partition { get; } = partition;

    public long ReceivedAt { get; } = receivedAt;

    public List<byte[]> Messages { get; } = [];

    public long Bytes { get; set; }

    /// <summary>The row's messages as one JSON array, in an array of its own (a parameter's value).</summary>
    public byte[] ToJsonArray()
    {
        var array = new byte[JsonArrayLength];
        WriteJsonArray(array);
        return array;
    }

    /// <summary>The length of <see cref="WriteJsonArray"/>'s bytes.</summary>
    public int JsonArrayLength => checked((int)Bytes + Messages.Count + 1);

    /// <summary>Writes the row's messages as one JSON array, the bytes a log row stores.</summary>
    public void WriteJsonArray(Span<byte> destination)
    {
        var at = 0;
        for (var i = 0; i < Messages.Count; i++)
        {
            destination[at++] = i == 0 ? (byte)'[' : (byte)',';
            Messages[i].CopyTo(destination[at..]);
            at += Messages[i].Length;
        }

        destination[at] = (byte)']';
    }
}
