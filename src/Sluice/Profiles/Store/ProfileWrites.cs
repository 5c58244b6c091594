using System.Collections.Concurrent;
using System.Text.Json;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles.Store;

/// <summary>
/// The statements that apply a step's <see cref="ProfileChange"/>s, the same on SQLite and PostgreSQL.
/// Rows are gathered by table (new profiles, identifiers, event references, drops; traits reduced to
/// each key's winner of the step) and written together, several to a statement where a round trip is
/// what a statement costs (PostgreSQL). On SQLite a statement of one row, prepared once and run again,
/// is the cheaper: Microsoft.Data.Sqlite binds parameters by name, a lookup that grows with their
/// number. Changes that read what came before them (a merge, a recomputation) write the rows gathered
/// so far, then go one by one, in order.
/// </summary>
internal static class ProfileWrites
{
    /// <summary>Parameters in one statement at most (SQLite allows 32,766, PostgreSQL 65,535).</summary>
    private const int MaxParameters = 2_000;

    // A later (timestamp, log time, messageId) wins, whatever order the events come in.
    private const string UpsertTrait = """
        ON CONFLICT (profile_id, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp,
            received_at = excluded.received_at, message_id = excluded.message_id, source_id = excluded.source_id
        WHERE (excluded.timestamp, excluded.received_at, excluded.message_id) > (profile_traits.timestamp, profile_traits.received_at, profile_traits.message_id)
        """;

    /// <summary>The statements that apply a step's changes, in order.</summary>
    /// <param name="rowsPerStatement">Rows a multi-row statement takes at most (1: a statement per row).</param>
    public static IEnumerable<(string Sql, object?[] Values)> Of(IReadOnlyList<ProfileChange> changes, int rowsPerStatement)
    {
        var rows = new Rows(rowsPerStatement);
        foreach (var change in changes)
        {
            if (rows.Take(change))
            {
                continue;
            }

            foreach (var statement in rows.Flush())
            {
                yield return statement;
            }

            foreach (var statement in OneByOne(change))
            {
                yield return statement;
            }
        }

        foreach (var statement in rows.Flush())
        {
            yield return statement;
        }
    }

    private static readonly Insert NewProfiles = new("INSERT INTO profiles (id, created_at, merges, merged_into, updated_at) VALUES ", 2, at => $"(${at + 1}, ${at + 2}, 0, NULL, ${at + 2})");
    private static readonly Insert NewIdentifiers = new("INSERT INTO profile_identifiers (type, value, profile_id, added_at, source_id, message_id) VALUES ", 6, Parameters(6));
    private static readonly Insert EventReferences = new("INSERT INTO profile_events (profile_id, log_position, message_index) VALUES ", 3, Parameters(3));
    private static readonly Insert Drops = new(LogInsert, 11, Parameters(11));
    private static readonly Insert Traits = new("INSERT INTO profile_traits (profile_id, key, value, timestamp, received_at, message_id, source_id) VALUES ", 7, Parameters(7), "\n" + UpsertTrait);

    /// <summary>Rows gathered for multi-row statements: what changes write without reading.</summary>
    private sealed class Rows(int rowsPerStatement)
    {
        private readonly List<object?[]> _profiles = [];
        private readonly List<object?[]> _identifiers = [];
        private readonly List<object?[]> _events = [];
        private readonly List<object?[]> _drops = [];
        private readonly Dictionary<(string Profile, string Key), Trait> _traits = [];

        public bool Take(ProfileChange change)
        {
            switch (change)
            {
                case ProfileCreated created:
                    _profiles.Add([created.ProfileId, created.Event.ReceivedAt]);
                    return true;
                case IdentifierAdded added:
                    var e = added.Event;
                    _identifiers.Add([added.Identifier.Type, added.Identifier.Value, added.ProfileId, e.ReceivedAt, e.SourceId, e.MessageId]);
                    return true;
                case EventAttached attached:
                    _events.Add([attached.ProfileId, attached.Event.Position, attached.Event.Index]);
                    return true;
                case IdentifierDropped dropped:
                    _drops.Add(LogRow("drop", dropped.ProfileId, null, dropped.Dropped.Identifier, dropped.Dropped.Reason.ToString(), dropped.Event));
                    return true;
                case TraitsSet set:
                    foreach (var (key, value) in set.Traits)
                    {
                        var trait = new Trait(value, set.Timestamp, set.Event.ReceivedAt, set.Event.MessageId, set.Event.SourceId);
                        if (!_traits.TryGetValue((set.ProfileId, key), out var held) || trait.Beats(held))
                        {
                            _traits[(set.ProfileId, key)] = trait;
                        }
                    }

                    return true;
                default:
                    return false;
            }
        }

        public IEnumerable<(string Sql, object?[] Values)> Flush()
        {
            // An Engage step's changes go one by one, each after a flush of nothing: that one builds nothing.
            if (_profiles.Count == 0 && _identifiers.Count == 0 && _events.Count == 0 && _drops.Count == 0 && _traits.Count == 0)
            {
                return [];
            }

            var statements = NewProfiles.Of(_profiles, rowsPerStatement)
                .Concat(NewIdentifiers.Of(_identifiers, rowsPerStatement))
                .Concat(EventReferences.Of(_events, rowsPerStatement))
                .Concat(Drops.Of(_drops, rowsPerStatement))
                .Concat(Traits.Of([.. _traits.Select(t => new object?[] { t.Key.Profile, t.Key.Key, t.Value.Json, t.Value.Timestamp, t.Value.ReceivedAt, t.Value.MessageId, t.Value.SourceId })], rowsPerStatement))
                .ToList();
            _profiles.Clear();
            _identifiers.Clear();
            _events.Clear();
            _drops.Clear();
            _traits.Clear();
            return statements;
        }
    }

    /// <summary>A trait's value as a step last set it; null removes the trait.</summary>
    private sealed record Trait(string? Json, long Timestamp, long ReceivedAt, string MessageId, string SourceId)
    {
        /// <summary>Whether this value wins over <paramref name="other"/>, as the store's upsert decides.</summary>
        public bool Beats(Trait other) => TraitsSet.Beats((Timestamp, ReceivedAt, MessageId), (other.Timestamp, other.ReceivedAt, other.MessageId));
    }

    /// <summary>
    /// An insert into one table: its text for a number of rows is made once, not for every row of every step
    /// (on SQLite a statement of one row runs once a row, and making its text was most of what a step allocated).
    /// </summary>
    private sealed class Insert(string head, int width, Func<int, string> row, string tail = "")
    {
        private readonly ConcurrentDictionary<int, string> _texts = new();

        /// <summary><paramref name="rows"/> as statements of at most <paramref name="rowsPerStatement"/> rows and <see cref="MaxParameters"/> parameters.</summary>
        public IEnumerable<(string Sql, object?[] Values)> Of(List<object?[]> rows, int rowsPerStatement)
        {
            var perStatement = Math.Clamp(MaxParameters / width, 1, rowsPerStatement);
            for (var first = 0; first < rows.Count; first += perStatement)
            {
                var count = Math.Min(perStatement, rows.Count - first);
                var sql = _texts.GetOrAdd(count, static (rows, insert) => insert.Text(rows), this);
                if (count == 1)
                {
                    // A row's values are the statement's: no copy.
                    yield return (sql, rows[first]);
                    continue;
                }

                var values = new object?[count * width];
                for (var i = 0; i < count; i++)
                {
                    rows[first + i].CopyTo(values, i * width);
                }

                yield return (sql, values);
            }
        }

        private string Text(int rows) => head + string.Join(", ", Enumerable.Range(0, rows).Select(i => row(i * width))) + tail;
    }

    /// <summary>A row of <paramref name="width"/> parameters numbered from the one after <c>at</c>.</summary>
    private static Func<int, string> Parameters(int width) =>
        at => "(" + string.Join(", ", Enumerable.Range(at + 1, width).Select(n => $"${n}")) + ")";

    /// <summary>The statements of a change that reads what came before it.</summary>
    private static IEnumerable<(string Sql, object?[] Values)> OneByOne(ProfileChange change) => change switch
    {
        ProfilesMerged merged => Merge(merged),
        ProfilesRecomputed recomputed => TakeApart(recomputed),
        ProfilesErased erased => erased.Statements(),
        WrittenChange written => written.Statements(),
        SettingsSaved saved => [("""
            INSERT INTO profile_settings (id, settings, updated_at, actor) VALUES (1, $1, $2, $3)
            ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, actor = excluded.actor
            """, [saved.Json, saved.At, saved.Actor])],
        _ => throw new ArgumentOutOfRangeException(nameof(change), change.GetType().Name, "not a profile change"),
    };

    private static IEnumerable<(string Sql, object?[] Values)> Merge(ProfilesMerged merged)
    {
        var e = merged.Event;
        yield return ("UPDATE profile_identifiers SET profile_id = $1 WHERE profile_id = $2", [merged.Into, merged.Merged]);
        // "WHERE true": SQLite needs a WHERE between INSERT … SELECT and ON CONFLICT to parse the upsert.
        yield return ($"""
            INSERT INTO profile_traits (profile_id, key, value, timestamp, received_at, message_id, source_id)
            SELECT $1, key, value, timestamp, received_at, message_id, source_id FROM profile_traits WHERE profile_id = $2 AND true
            {UpsertTrait}
            """, [merged.Into, merged.Merged]);
        yield return ("DELETE FROM profile_traits WHERE profile_id = $1", [merged.Merged]);
        // Profiles merged into the merged one point at the survivor too: any old id is one hop from it.
        yield return ("UPDATE profiles SET merged_into = $1, updated_at = $3 WHERE id = $2 OR merged_into = $2", [merged.Into, merged.Merged, e.ReceivedAt]);
        yield return ("UPDATE profiles SET merges = $2 WHERE id = $1", [merged.Into, merged.MergesAfter]);
        yield return (MergeLogged, LogRow("merge", merged.Into, merged.Merged, merged.Linked[0], JsonSerializer.Serialize(merged.EventIdentifiers.Select(i => i.ToString())), e));
    }

    /// <summary>
    /// Takes the recomputed profiles apart: their identifiers, traits, event references and rows go (the
    /// changes after it make them again); the recomputation is logged, and the merges and drops of its
    /// events are marked undone by it (the newest such row: the step holds the profiles lock).
    /// </summary>
    private static IEnumerable<(string Sql, object?[] Values)> TakeApart(ProfilesRecomputed recomputed)
    {
        if (recomputed.Blocked is { } blocked)
        {
            yield return ("""
                INSERT INTO profile_blocked (type, value, profile_id, at, actor, note) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (type, value) DO NOTHING
                """, [blocked.Type, blocked.Value, recomputed.ProfileId, recomputed.At, recomputed.Actor, recomputed.Note]);
        }

        if (recomputed.Unblocked is { } unblocked)
        {
            yield return ("DELETE FROM profile_blocked WHERE type = $1 AND value = $2", [unblocked.Type, unblocked.Value]);
        }

        var named = recomputed.Blocked ?? recomputed.Unblocked;
        yield return ("""
            INSERT INTO profile_log (kind, profile_id, other_profile_id, identifier_type, identifier_value, reason, source_id, message_id, log_position, message_index, at, actor)
            VALUES ($1, $2, NULL, $3, $4, $5, '', '', 0, 0, $6, $7)
            """, [recomputed.Kind, recomputed.ProfileId, named?.Type, named?.Value, recomputed.Note, recomputed.At, recomputed.Actor]);
        foreach (var e in recomputed.Events)
        {
            yield return ("""
                UPDATE profile_log SET undone_by = (SELECT max(id) FROM profile_log WHERE kind IN ('unmerge', 'settings', 'unblock'))
                WHERE log_position = $1 AND message_index = $2 AND kind IN ('merge', 'drop') AND undone_by IS NULL
                """, [e.Position, e.Index]);
        }

        foreach (var survivor in recomputed.Survivors)
        {
            yield return ("DELETE FROM profile_identifiers WHERE profile_id = $1", [survivor]);
            yield return ("DELETE FROM profile_traits WHERE profile_id = $1", [survivor]);
        }

        foreach (var member in recomputed.Members)
        {
            yield return ("DELETE FROM profile_events WHERE profile_id = $1", [member]);
            yield return ("DELETE FROM profiles WHERE id = $1", [member]);
        }
    }

    private static readonly string MergeLogged = LogInsert + Parameters(11)(0);

    private const string LogInsert = "INSERT INTO profile_log (kind, profile_id, other_profile_id, identifier_type, identifier_value, reason, source_id, message_id, log_position, message_index, at) VALUES ";

    private static object?[] LogRow(string kind, string? profileId, string? otherProfileId, Identifier identifier, string? reason, EventReference e) =>
        [kind, profileId, otherProfileId, identifier.Type, identifier.Value, reason, e.SourceId, e.MessageId, e.Position, e.Index, e.ReceivedAt];
}
