using System.Text;
using System.Text.Json;
using Sluice.Engage.Store;
using Sluice.EventLog;
using Sluice.Privacy.Store;
using Sluice.Profiles;
using Sluice.Profiles.Identity;
using Sluice.Spec;
using Sluice.Storage.Sqlite;
using Sluice.Workspace;

namespace Sluice.Privacy.Erasure;

/// <summary>
/// A regulation's part in Sluice's own store, one slice at a time, each slice saved with its progress so that
/// a node killed in the middle (or another node taking over) goes on from there; every slice can run twice.
/// <list type="number">
/// <item>scan: the log up to where it was when the regulation came; the subject's messages are erased in
/// their rows (<see cref="LogMessages.Erase"/>), other users' messages in the same rows kept as they were.</item>
/// <item>profiles: once every consumer has read past the erased events (none still holds one to write from),
/// the subject's profiles and the profiles merged into them go, with Engage's values, in one profiles step.</item>
/// <item>erase: the events those profiles held that the scan did not find (the person's anonymous events) are erased.</item>
/// <item>deliveries: once the consumers have read past those too, every delivery of an erased event goes,
/// payload and the service's answer with it; then the embedded store checkpoints, so no old page is left in its WAL.</item>
/// </list>
/// A suppression (without deletion) filters its subject's waiting deliveries instead (cancel).
/// </summary>
internal sealed class StoreErasure(RegulationStore store, IEventLog log, SqliteDatabase? sqlite = null)
{
    private const int RowsPerSlice = 500;
    private const int DeliveriesPerSlice = 2_000;

    /// <summary>
    /// How long a suppression's cancel pass keeps looking for new waiting deliveries after its start: a router
    /// step that read the subject's event before the suppression existed records its deliveries when it ends
    /// (its sends at routing are bounded by the request timeout, 10 s).
    /// </summary>
    public static readonly TimeSpan RoutingSettles = TimeSpan.FromSeconds(15);

    /// <summary>The reason a suppression's waiting deliveries are filtered with.</summary>
    public const string CancelledReason = "suppressed: a privacy regulation suppresses this event's user; the delivery was cancelled before it was sent";

    /// <summary>Does the next slice of the regulation's work; true when there is more to do at once, false when it waits or is done.</summary>
    public bool Step(StoredRegulation regulation, long now) => regulation.Phase switch
    {
        ErasurePhases.Scan => Scan(regulation),
        ErasurePhases.Profiles => EraseProfiles(regulation),
        ErasurePhases.ProfilesFound => EraseFoundProfiles(regulation),
        ErasurePhases.Erase => EraseProfileEvents(regulation),
        ErasurePhases.Deliveries => EraseDeliveries(regulation, now),
        ErasurePhases.Cancel => CancelWaiting(regulation, now),
        _ => false,
    };

    private bool Scan(StoredRegulation r)
    {
        var match = new SubjectMatch(r.Subjects);
        var rows = log.ReadFrom(r.ScannedTo, RowsPerSlice, null);
        var inRange = rows.TakeWhile(row => row.Position <= r.ScanUntil).ToList();
        if (inRange.Count == 0)
        {
            // Past scan_until, or every position up to it readable (PostgreSQL shows a commit once older transactions end).
            if (rows.Count > 0 || log.Head() >= r.ScanUntil)
            {
                store.Write([RegulationStore.Progress(r with { Phase = ErasurePhases.Profiles, ScannedTo = r.ScanUntil })]);
                return true;
            }

            return false;
        }

        var found = new List<(string, object?[])>();
        var rewrites = new List<(long Position, byte[] Messages)>();
        foreach (var row in inRange.Where(r => match.MayMatch(r.Messages)))
        {
            var messages = LogMessages.Split(row.Messages);
            var indexes = new HashSet<int>();
            for (var i = 0; i < messages.Count; i++)
            {
                if (match.Matches(messages[i]))
                {
                    indexes.Add(i);
                    found.Add(RegulationStore.EventFound(r.Id, row.Position, i));
                }
            }

            if (indexes.Count > 0)
            {
                rewrites.Add((row.Position, LogMessages.Erase(row.Messages, indexes)));
            }
        }

        // The events are on record before their messages go: a later phase finds their deliveries whatever happens between.
        store.Write([.. found]);
        foreach (var (position, messages) in rewrites)
        {
            log.Rewrite(position, messages);
        }

        store.Write([RegulationStore.Progress(r with { ScannedTo = inRange[^1].Position }), RegulationStore.CountErased(r.Id)]);
        return true;
    }

    /// <summary>
    /// Puts the subject's profiles' events on record and counts the profiles, in the regulation's tables; the
    /// profiles themselves go in the next phase. Two commits, not one: on SQLite the profile store is a file of
    /// its own, and SQLite makes a transaction atomic in each file, not across two (Storage/Sqlite/ProfilesFile).
    /// Events first: once the profiles are gone, nothing says which events were theirs.
    /// </summary>
    private bool EraseProfiles(StoredRegulation r)
    {
        if (Waiting(r))
        {
            return false;
        }

        var identifiers = SubjectIdentifiers(r);
        store.Step(reader =>
        {
            var owners = reader.OwnersOf(identifiers).Values.Distinct(StringComparer.Ordinal).ToList();
            var members = owners.SelectMany(reader.MembersOf).Distinct(StringComparer.Ordinal).ToList();
            var events = members.SelectMany(reader.EventsOf).ToList();
            var next = r with { Phase = ErasurePhases.ProfilesFound, ProfilesErased = r.ProfilesErased + owners.Count, WaitingFor = null };
            IReadOnlyList<ProfileChange> changes = [new PrivacyStatements([.. events.Select(e => RegulationStore.EventFound(r.Id, e.Position, e.Index)), RegulationStore.Progress(next)])];
            return (0, changes);
        });
        return true;
    }

    /// <summary>
    /// Erases the subject's profiles (and Engage's values of them) in the profile store, then moves the
    /// regulation on. A node killed between the two commits erases again, finding nothing more. A profile
    /// merged into the subject's since the events went on record goes with it, as it would have had it
    /// merged before; the events that merged it are not on record and stay in the log, as they would had
    /// they been resolved just after the erasure.
    /// </summary>
    private bool EraseFoundProfiles(StoredRegulation r)
    {
        var identifiers = SubjectIdentifiers(r);
        store.Step(reader =>
        {
            var owners = reader.OwnersOf(identifiers).Values.Distinct(StringComparer.Ordinal).ToList();
            var members = owners.SelectMany(reader.MembersOf).Distinct(StringComparer.Ordinal).ToList();
            IReadOnlyList<ProfileChange> changes = [new ProfilesErased(members, identifiers), new EngageValuesErased(members)];
            return (0, changes);
        }, changesGraph: true);
        store.Write([RegulationStore.Progress(r with { Phase = ErasurePhases.Erase })]);
        return true;
    }

    private static List<Identifier> SubjectIdentifiers(StoredRegulation r) =>
        [.. r.Subjects.Select(s => new Identifier(s.Type == Subject.UserId ? "user_id" : "anonymous_id", s.Id))];

    private bool EraseProfileEvents(StoredRegulation r)
    {
        foreach (var row in store.EventsOf(r.Id).GroupBy(e => e.Position))
        {
            if (log.ReadFrom(row.Key - 1, 1, null) is not [var stored] || stored.Position != row.Key)
            {
                continue;
            }

            var messages = LogMessages.Split(stored.Messages);
            var indexes = row.Select(e => e.Index).Where(i => i < messages.Count && !LogMessages.IsErased(messages[i])).ToHashSet();
            if (indexes.Count > 0)
            {
                log.Rewrite(row.Key, LogMessages.Erase(stored.Messages, indexes));
            }
        }

        store.Write([RegulationStore.Progress(r with { Phase = ErasurePhases.Deliveries }), RegulationStore.CountErased(r.Id)]);
        return true;
    }

    private bool EraseDeliveries(StoredRegulation r, long now)
    {
        if (Waiting(r))
        {
            return false;
        }

        var erased = store.EventsOf(r.Id).ToHashSet();
        var slice = erased.Count == 0 ? [] : store.DeliveriesAfter(r.DeliveriesTo, DeliveriesPerSlice, waitingOnly: false);
        if (slice.Count == 0)
        {
            // Scrubbed before the regulation is done: a node killed in the middle scrubs again after its restart.
            Scrub();
            store.Finish(r, now, []);
            Checkpoint();
            return false;
        }

        var gone = slice.Where(d => erased.Contains((d.Position, d.Index))).ToList();
        store.Write([
            .. gone.Select(d => ("DELETE FROM deliveries WHERE id = $1", new object?[] { d.Id })),
            RegulationStore.Progress(r with { DeliveriesTo = slice[^1].Id, DeliveriesErased = r.DeliveriesErased + gone.Count }),
        ]);
        return true;
    }

    private bool CancelWaiting(StoredRegulation r, long now)
    {
        var slice = store.DeliveriesAfter(r.DeliveriesTo, DeliveriesPerSlice, waitingOnly: true);
        if (slice.Count == 0)
        {
            if (now < r.CreatedAt + (long)RoutingSettles.TotalMilliseconds)
            {
                var waitingFor = "waiting for routing steps begun before the suppression to end";
                if (r.WaitingFor != waitingFor)
                {
                    store.Write([RegulationStore.Progress(r with { WaitingFor = waitingFor })]);
                }

                return false;
            }

            store.Finish(r, now, []);
            return false;
        }

        var match = new SubjectMatch(r.Subjects);
        var rows = new Dictionary<long, List<byte[]>?>();
        var cancelled = new List<long>();
        foreach (var (id, position, index) in slice)
        {
            if (!rows.TryGetValue(position, out var messages))
            {
                rows[position] = messages = log.ReadFrom(position - 1, 1, null) is [var row] && row.Position == position ? LogMessages.Split(row.Messages) : null;
            }

            if (messages is not null && index < messages.Count && match.Matches(messages[index]))
            {
                cancelled.Add(id);
            }
        }

        store.Write([
            .. cancelled.Select(id => ("""
                UPDATE deliveries SET status = 'filtered', reason = $2, lease_until = 0, next_attempt_at = $3, updated_at = $3
                WHERE id = $1 AND status IN ('pending', 'retrying')
                """, new object?[] { id, CancelledReason, now })),
            RegulationStore.Progress(r with { DeliveriesTo = slice[^1].Id, DeliveriesErased = r.DeliveriesErased + cancelled.Count }),
        ]);
        return true;
    }

    /// <summary>Whether a consumer has not read every erased event yet; says which on the regulation, for its status.</summary>
    private bool Waiting(StoredRegulation r)
    {
        var behind = store.ConsumersBehind(r.Id);
        var waitingFor = behind.Count == 0 ? null : $"waiting for the {string.Join(" and ", behind)} consumer{(behind.Count > 1 ? "s" : "")} to read past the erased events";
        if (waitingFor != r.WaitingFor)
        {
            store.Write([RegulationStore.Progress(r with { WaitingFor = waitingFor })]);
        }

        return behind.Count > 0;
    }

    /// <summary>
    /// Leaves no old bytes in the embedded store's file. Pages freed whole (a rewritten row's overflow pages,
    /// an emptied index page, rows past retention) keep their bytes until reused (<c>secure_delete=FAST</c>):
    /// blobs of zeros take every page of the free list, SQLite reusing free pages before it grows the file,
    /// and are deleted again, so that every free page holds zeros. Each blob fills its overflow pages exactly
    /// (<see cref="ScrubBlobLength"/>): a last page written in part would keep the rest of its old bytes. Then a
    /// checkpoint writes back the WAL, which still holds pages as they were, and empties it.
    /// </summary>
    public void Scrub()
    {
        if (sqlite is null)
        {
            return;
        }

        using (var store = sqlite.Open())
        {
            ScrubFile(store);
        }

        // The profile store's file (profiles.db, sluice.db attached): its free pages, then both files' WALs.
        using var profiles = sqlite.OpenProfiles();
        ScrubFile(profiles);
        SqliteDatabase.Execute(profiles, "PRAGMA wal_checkpoint(TRUNCATE)");
    }

    /// <summary>Fills the free pages of the connection's main file with zeros, and frees them again.</summary>
    private static void ScrubFile(Microsoft.Data.Sqlite.SqliteConnection connection)
    {
        const long PagesAtOnce = 16_384;
        var usable = Scalar(connection, "PRAGMA page_size");
        // Other writers free pages meanwhile: a bounded number of rounds, each taking what is free then.
        for (var round = 0; round < 64 && Scalar(connection, "PRAGMA freelist_count") is var free and > 0; round++)
        {
            using var fill = connection.CreateCommand();
            fill.CommandText = "INSERT INTO main.privacy_scrub (zeros) VALUES (zeroblob($bytes))";
            fill.Parameters.AddWithValue("$bytes", ScrubBlobLength(Math.Min(free, PagesAtOnce), usable));
            fill.ExecuteNonQuery();
        }

        SqliteDatabase.Execute(connection, "DELETE FROM main.privacy_scrub");
    }

    /// <summary>Writes the WALs back to the embedded store's files and empties them: no page image from before stays there.</summary>
    private void Checkpoint()
    {
        if (sqlite is null)
        {
            return;
        }

        // On a connection to the profile store's file, with sluice.db attached: a checkpoint without a schema takes both.
        using var connection = sqlite.OpenProfiles();
        SqliteDatabase.Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
    }

    /// <summary>
    /// The length of a blob whose record spills into exactly <paramref name="pages"/> overflow pages, each full:
    /// SQLite keeps <c>minLocal + (size - minLocal) % (usable - 4)</c> bytes of a table row's record in its leaf
    /// (file format, "cell payload overflow pages"), so a record of <c>minLocal + pages × (usable - 4)</c> bytes
    /// keeps minLocal there and fills every overflow page to its end.
    /// </summary>
    public static long ScrubBlobLength(long pages, long usable)
    {
        var minLocal = ((usable - 12) * 32 / 255) - 23;
        var record = minLocal + (pages * (usable - 4));
        var length = record - 3;
        for (var i = 0; i < 4; i++)
        {
            // The record's header: its own length (one byte here) and the blob's serial type, 2n + 12, as a varint.
            length = record - 1 - VarintLength((length * 2) + 12);
        }

        return length;
    }

    private static int VarintLength(long value)
    {
        var length = 1;
        while (value >= 0x80 && length < 9)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    private static long Scalar(Microsoft.Data.Sqlite.SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Whether a stored message is one of the subjects': its userId or anonymousId (as the type says) is one of theirs.</summary>
    private sealed class SubjectMatch
    {
        private readonly string _field;
        private readonly HashSet<string> _ids;
        private readonly List<byte[]> _needles;
        private readonly bool _prefilter;

        public SubjectMatch(IReadOnlyList<Subject> subjects)
        {
            _field = subjects.Count > 0 ? subjects[0].Field : "userId";
            _ids = subjects.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            _needles = [.. _ids.Select(Encoding.UTF8.GetBytes)];
            // Stored JSON keeps text as UTF-8 and escapes only quotes, backslashes and control characters: an id
            // without those appears in a message's bytes as it is, so a message without its bytes is not parsed.
            _prefilter = _ids.All(id => !id.Any(c => c is '"' or '\\' || char.IsControl(c)));
        }

        /// <summary>Whether a message, or a row of them, holds one of the ids' bytes: a row without them is passed over unparsed.</summary>
        public bool MayMatch(byte[] bytes) => _ids.Count > 0 && (!_prefilter || _needles.Any(n => bytes.AsSpan().IndexOf(n) >= 0));

        public bool Matches(byte[] message)
        {
            if (LogMessages.IsErased(message) || !MayMatch(message))
            {
                return false;
            }

            using var document = JsonDocument.Parse(message);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(_field, out var value)
                && JsonStrings.Read(value) is { } id
                && _ids.Contains(id);
        }
    }
}
