using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sluice.EventLog;
using Sluice.Profiles.Identity;
using Sluice.Workspace;

namespace Sluice.Profiles;

/// <summary>
/// Identity resolution as a consumer of the event log: each message is resolved against the graph
/// (<see cref="EventResolution"/>), and what that makes (profiles, identifiers, merges, drops, the event's
/// place on its profile, an identify call's traits) is stored with the cursors, in one transaction per
/// step. Messages are taken in log order, so a graph rebuilt from the log is the same.
/// </summary>
/// <param name="part">What a feature built on profiles adds to each step (Engage), if any.</param>
/// <param name="suppressed">The subjects privacy regulations suppress: their messages make no profile.</param>
internal sealed class ProfilesConsumer(IProfileStore store, IdentitySettingsSource settingsSource, IProfileStepPart? part = null, SuppressedSubjects? suppressed = null) : IEventLogConsumer
{
    private readonly ProfileGraph _graph = new();

    /// <summary>The name the consumer's cursors are stored under.</summary>
    public const string ConsumerName = "profiles";

    public string Name => ConsumerName;

    /// <summary>Profiles are built from the whole history the log keeps, as a rebuild would build them.</summary>
    public ConsumerStart Start => ConsumerStart.Beginning;

    /// <summary>Deliveries first: during a burst, profiles are resolved once the router has caught up.</summary>
    public bool Yields => true;

    /// <summary>
    /// 200 times the rows of another consumer's read (40,000), up to <see cref="MaxReadBytes"/>: a step's commit is
    /// paid per page it dirties, nearly one page of each random-key index per event, and a profile touched
    /// again in the same step is read, evaluated and written once, so a step of more events does each for
    /// more of them (BENCHMARKS.md, Identity's sixth measurement and Engage's eighth: 40,000 rows against
    /// 10,000, 1.19-1.32x with Engage and 1.06x identity resolution alone; a node's peak memory 18-29 MiB
    /// more when single-event requests queue up for profiles, none more for batches, whose steps the bytes
    /// bound). On SQLite the profile store is a file of its own (Storage/Sqlite/ProfilesFile): a long step
    /// does not make ingest's commits wait.
    /// </summary>
    public int RowsPerReadMultiple => 200;

    /// <summary>Four times another consumer's read: a step's messages (and the node's memory for them) stay within 8 MB.</summary>
    public long MaxReadBytes => MaxBytesPerCommit;

    /// <summary>
    /// Messages' bytes a transaction takes at most, a read's worth: a backlog's rows are committed in parts
    /// (each with its partitions' cursors), so that a step holds the profile store's lock (and, on
    /// PostgreSQL, the profiles lock every node's steps take) for a bounded time.
    /// </summary>
    public const int MaxBytesPerCommit = 8 * 1024 * 1024;

    public void Consume(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances)
    {
        var first = 0;
        while (first < rows.Count)
        {
            var count = 0;
            for (long bytes = 0; first + count < rows.Count && (count == 0 || bytes + rows[first + count].Messages.Length <= MaxBytesPerCommit); count++)
            {
                bytes += rows[first + count].Messages.Length;
            }

            var part = rows.Skip(first).Take(count).ToList();
            first += count;
            // A part's cursors go as far as its own rows: the next part's rows are after them in each partition.
            var reached = part.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => g.Max(r => r.Position));
            Commit(part, first == rows.Count ? advances : [.. advances.Where(a => reached.ContainsKey(a.Partition)).Select(a => a with { Position = reached[a.Partition] })]);
        }
    }

    private void Commit(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances)
    {
        try
        {
            var version = store.RunStep(reader => Resolve(reader, rows), advances);
            _graph.Committed(version);
        }
        catch
        {
            _graph.Forget();
            throw;
        }
    }

    /// <summary>
    /// Rows a step parses, prefetches and resolves at a time where reads are calls into the process (SQLite: a
    /// statement an identifier or profile, so smaller chunks cost no more reads). A parsed row holds buffers
    /// from the shared pool until it is let go: a whole step's rows held at once outnumbered the pool, and the
    /// garbage collector copied their new buffers as survivors. Where a read is a round trip, the whole step
    /// is one chunk.
    /// </summary>
    private const int RowsPerChunk = 16;

    /// <summary>
    /// A message's bytes in its row, without copying them: a document parsed from the row's array reads it in
    /// place. (Copied only if that ever stopped being so.)
    /// </summary>
    private static ReadOnlyMemory<byte> StoredBytes(byte[] row, JsonElement message)
    {
        var raw = JsonMarshal.GetRawUtf8Value(message);
        var offset = Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(row), ref MemoryMarshal.GetReference(raw));
        return offset >= 0 && offset + raw.Length <= row.Length ? row.AsMemory((int)offset, raw.Length) : raw.ToArray();
    }

    private List<ProfileChange> Resolve(IProfileGraphReader reader, IReadOnlyList<LogRow> rows)
    {
        _graph.Begin(reader);
        var settings = settingsSource.Effective(_graph.StoredSettings);
        var observer = part?.Begin(reader, recomputation: false);
        var resolution = new EventResolution(_graph, settings);
        var changes = new List<ProfileChange>();
        // A row's messages are read from one parse of the row, not split into copies and parsed again.
        var documents = new List<JsonDocument>(RowsPerChunk);
        var messages = new List<(JsonElement Message, EventReference Event, IReadOnlyList<Identifier> Candidates, byte[] Row)>();
        var candidates = new List<Identifier>();
        try
        {
            var chunk = reader.ReadsCostARoundTrip ? rows.Count : RowsPerChunk;
            for (var first = 0; first < rows.Count; first += chunk)
            {
                foreach (var row in rows.Skip(first).Take(chunk))
                {
                    var document = JsonDocument.Parse(row.Messages);
                    documents.Add(document);
                    var index = 0;
                    foreach (var message in document.RootElement.EnumerateArray())
                    {
                        if (LogMessages.IsErased(message))
                        {
                            index++;
                            continue;
                        }

                        if (suppressed?.Covers(message) == true)
                        {
                            // Stored in the instant before this node heard of the suppression: not made part of a profile.
                            index++;
                            continue;
                        }

                        var e = new EventReference(row.SourceId, EventResolution.MessageIdOf(message), row.Position, index++, row.ReceivedAt);
                        messages.Add((message, e, EventResolution.Candidates(message, settings), row.Messages));
                    }
                }

                // The chunk's identifiers read together, before its events resolve, not one read at a time between them.
                candidates.Clear();
                foreach (var message in messages)
                {
                    candidates.AddRange(message.Candidates);
                }

                _graph.Prefetch(candidates);
                foreach (var (message, e, identifiers, row) in messages)
                {
                    var before = changes.Count;
                    resolution.Resolve(message, e, changes, identifiers);
                    observer?.Observe(changes, before, message, StoredBytes(row, message));
                }

                messages.Clear();
                documents.ForEach(d => d.Dispose());
                documents.Clear();
            }

            if (observer is not null)
            {
                changes.AddRange(observer.Finish(_graph.IdentifierTypesOf));
            }

            return changes;
        }
        finally
        {
            documents.ForEach(d => d.Dispose());
        }
    }
}
