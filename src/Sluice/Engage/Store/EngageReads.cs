using System.Data.Common;
using System.Text;
using Sluice.Engage.Computation;
using Sluice.EventLog;
using Sluice.Profiles;
using Sluice.Profiles.Identity;

namespace Sluice.Engage.Store;

/// <summary>
/// An aggregate of events Engage computes: the profiles consumer's cursors when it was registered (JSON,
/// partition to position), how far its backfill has read the log, when it was done (null: still reading),
/// and the name profiles' states keep it under (null: registered before names were stored, named after its
/// key, <see cref="Computation.StateLayout.NameOf"/>).
/// </summary>
internal sealed record EngageAggregateRow(string Key, string Start, long Progress, long RegisteredAt, long? DoneAt, string? Name);

/// <summary>A computed trait (<see cref="Kind"/> <c>trait</c>) or audience made through the Admin API, its connections as JSON, when and by whom.</summary>
internal sealed record StoredEngageDefinition(string Key, string Kind, string Name, string Query, bool IncludeAnonymous, string Destinations, long CreatedAt, long UpdatedAt, string Actor);

/// <summary>A profile's value of a computed trait or an audience (JSON), and when it last changed (Unix ms).</summary>
internal sealed record EngageValueRow(string Key, string ProfileId, string Json, long ChangedAt);

/// <summary>A change of a profile's value of a computed trait or an audience (<see cref="Previous"/>: null when it had none), in the order they were made.</summary>
internal sealed record EngageChangeRow(long Id, string Key, string ProfileId, string Json, string? Previous, long At)
{
    /// <summary>A value that stayed, sent again because the profile gained an identifier (<see cref="EngageValueResent"/>).</summary>
    public bool Resent => Previous == Json;
}

/// <summary>How many profiles have a value of a definition (an audience: are members), and when one last changed (Unix ms).</summary>
internal sealed record EngageSize(string Key, long Profiles, long? LastChangeAt);

/// <summary>A definition's current values, and the last change they include.</summary>
internal sealed record EngageSnapshot(long LastChangeId, IReadOnlyList<EngageValueRow> Values);

/// <summary>A connection's sync: the last change sent, when it started and last sent (Unix ms), how many messages it has sent.</summary>
internal sealed record EngageSyncRow(string Connection, long LastChangeId, long StartedAt, long SyncedAt, long Messages);

/// <summary>
/// One run of a connection's sync (Unix ms): its first, with how many current values it covered, or one of
/// changes, with how many changes; and how many messages it stored.
/// </summary>
internal sealed record EngageSyncRun(string Connection, long At, bool First, long Values, long Messages);

/// <summary>A profile as a preview evaluates it: its Engage state (JSON or null), its identifiers' types, its traits (JSON by key).</summary>
internal sealed record ProfileForEngage(string Id, string? State, IReadOnlySet<string> Types, IReadOnlyDictionary<string, string> Traits);

/// <summary>
/// Engage's reads of the store (its own tables, and the profiles' it computes on), the same on SQLite
/// and PostgreSQL: inside a profiles step through its reader, outside one through the profile store.
/// </summary>
internal static class EngageReads
{
    /// <summary>Profiles read by one statement at most (SQLite binds parameters by name, a lookup that grows with their number).</summary>
    private const int BatchSize = 100;

    /// <summary>Engage's stored state (UTF-8 JSON) of those profiles that have one, with when each is due (null: when an event comes).</summary>
    public static IReadOnlyDictionary<string, (byte[] State, long? DueAt)> EngageStates(this IProfileQueries db, IReadOnlyList<string> profileIds)
    {
        var states = new Dictionary<string, (byte[], long?)>(profileIds.Count, StringComparer.Ordinal);
        if (db is IPointReads points)
        {
            points.ForEachRow("SELECT state, due_at FROM engage_state WHERE profile_id = $1", profileIds.Select(id => new object?[] { id }), (index, row) =>
                states[profileIds[index]] = (row.Utf8(0)!, row.IsNull(1) ? null : row.Int64(1)));
            return states;
        }

        foreach (var chunk in profileIds.Chunk(BatchSize))
        {
            db.Query($"SELECT profile_id, state, due_at FROM engage_state WHERE profile_id IN ({Ids(chunk.Length)})", rows =>
            {
                while (rows.Read())
                {
                    states[rows.GetString(0)] = (Encoding.UTF8.GetBytes(rows.GetString(1)), rows.IsDBNull(2) ? null : rows.GetInt64(2));
                }

                return states;
            }, [.. chunk]);
        }

        return states;
    }

    /// <summary>The traits <paramref name="keys"/> of those profiles, with what decides which value wins.</summary>
    public static IReadOnlyDictionary<string, Dictionary<string, TraitValue>> TraitValues(this IProfileQueries db, IReadOnlyList<string> profileIds, IReadOnlyCollection<string> keys)
    {
        var traits = new Dictionary<string, Dictionary<string, TraitValue>>(StringComparer.Ordinal);
        void Add(string profileId, string key, TraitValue value)
        {
            if (!traits.TryGetValue(profileId, out var of))
            {
                traits[profileId] = of = new Dictionary<string, TraitValue>(StringComparer.Ordinal);
            }

            of[key] = value;
        }

        if (db is IPointReads points)
        {
            // A trait is a point in the table's key (profile, key): one lookup each.
            var wanted = profileIds.SelectMany(id => keys.Select(key => (id, key))).ToList();
            points.ForEachRow(
                "SELECT value, timestamp, received_at, message_id FROM profile_traits WHERE profile_id = $1 AND key = $2",
                wanted.Select(w => new object?[] { w.id, w.key }),
                (index, row) => Add(wanted[index].id, wanted[index].key, new TraitValue(row.Text(0), row.Int64(1), row.Int64(2), row.Text(3)!)));
            return traits;
        }

        foreach (var chunk in profileIds.Chunk(BatchSize))
        {
            var parameters = string.Join(", ", Enumerable.Range(chunk.Length + 1, keys.Count).Select(n => $"${n}"));
            db.Query($"SELECT profile_id, key, value, timestamp, received_at, message_id FROM profile_traits WHERE profile_id IN ({Ids(chunk.Length)}) AND key IN ({parameters})", rows =>
            {
                while (rows.Read())
                {
                    Add(rows.GetString(0), rows.GetString(1), new TraitValue(rows.IsDBNull(2) ? null : rows.GetString(2), rows.GetInt64(3), rows.GetInt64(4), rows.GetString(5)));
                }

                return traits;
            }, [.. chunk, .. keys]);
        }

        return traits;
    }

    /// <summary>Profiles whose values may change with time by <paramref name="now"/> (Unix ms), soonest first.</summary>
    public static IReadOnlyList<string> EngageDue(this IProfileQueries db, long now, int limit) =>
        db.Query("SELECT profile_id FROM engage_state WHERE due_at <= $1 ORDER BY due_at LIMIT $2", Texts, now, limit);

    /// <summary>The soonest instant (Unix ms) at which time alone may change a profile's values, or null.</summary>
    public static long? NextEngageDue(this IProfileQueries db) =>
        db.Query("SELECT min(due_at) FROM engage_state", rows => rows.Read() && !rows.IsDBNull(0) ? rows.GetInt64(0) : (long?)null);

    /// <summary>The aggregates Engage has computed or is computing, by key.</summary>
    public static IReadOnlyDictionary<string, EngageAggregateRow> EngageAggregates(this IProfileQueries db) =>
        db.Query("SELECT key, start, progress, registered_at, done_at, name FROM engage_aggregates", rows =>
        {
            var aggregates = new Dictionary<string, EngageAggregateRow>(StringComparer.Ordinal);
            while (rows.Read())
            {
                aggregates[rows.GetString(0)] = new EngageAggregateRow(
                    rows.GetString(0), rows.GetString(1), rows.GetInt64(2), rows.GetInt64(3), rows.IsDBNull(4) ? null : rows.GetInt64(4), rows.IsDBNull(5) ? null : rows.GetString(5));
            }

            return aggregates;
        });

    /// <summary>A consumer's cursors, by partition.</summary>
    public static IReadOnlyDictionary<int, long> CursorsOf(this IProfileQueries db, string consumer) =>
        db.Query("SELECT partition, position FROM consumer_cursors WHERE consumer = $1", rows =>
        {
            var cursors = new Dictionary<int, long>();
            while (rows.Read())
            {
                cursors[rows.GetInt32(0)] = rows.GetInt64(1);
            }

            return cursors;
        }, consumer);

    /// <summary>The identifiers an event's resolution left out by a rule (not undone since).</summary>
    public static IReadOnlySet<Identifier> DroppedAt(this IProfileQueries db, EventPosition e) =>
        db.Query("""
            SELECT identifier_type, identifier_value FROM profile_log
            WHERE log_position = $1 AND message_index = $2 AND kind = 'drop' AND undone_by IS NULL
            """, rows =>
        {
            var identifiers = new HashSet<Identifier>();
            while (rows.Read())
            {
                identifiers.Add(new Identifier(rows.GetString(0), rows.GetString(1)));
            }

            return identifiers;
        }, e.Position, e.Index);

    /// <summary>Moves with every change of the definitions made through the Admin API.</summary>
    public static long EngageDefinitionsVersion(this IProfileQueries db) =>
        db.Query("SELECT version FROM engage_definitions_version", rows => rows.Read() ? rows.GetInt64(0) : 0);

    /// <summary>The computed traits and audiences made through the Admin API.</summary>
    public static IReadOnlyList<StoredEngageDefinition> StoredEngageDefinitions(this IProfileQueries db) =>
        db.Query("SELECT key, kind, name, query, include_anonymous, destinations, created_at, updated_at, actor FROM engage_definitions ORDER BY created_at, key", rows =>
        {
            var definitions = new List<StoredEngageDefinition>();
            while (rows.Read())
            {
                definitions.Add(new StoredEngageDefinition(
                    rows.GetString(0), rows.GetString(1), rows.GetString(2), rows.GetString(3), rows.GetInt64(4) != 0, rows.GetString(5), rows.GetInt64(6), rows.GetInt64(7), rows.GetString(8)));
            }

            return definitions;
        });

    /// <summary>Profiles (not merged into another) after <paramref name="after"/> by id, at most <paramref name="limit"/>.</summary>
    public static IReadOnlyList<string> ProfileIdsAfter(this IProfileQueries db, string after, int limit) =>
        db.Query("SELECT id FROM profiles WHERE merged_into IS NULL AND id > $1 ORDER BY id LIMIT $2", Texts, after, limit);

    /// <summary>The evaluation sweep: the definitions' fingerprint it is for and the last profile it evaluated (null: none yet).</summary>
    public static (string Fingerprint, string After)? EngageSweep(this IProfileQueries db) =>
        db.Query("SELECT fingerprint, after FROM engage_sweep", rows => rows.Read() ? (rows.GetString(0), rows.GetString(1)) : ((string, string)?)null);

    /// <summary>The keys with values or an evaluation stored: of definitions in force, or in force once and not deleted.</summary>
    public static IReadOnlyList<string> EngageKeysStored(this IProfileQueries db) =>
        db.Query(Profiles.Store.ProfileSql.DistinctLeading("keys", "engage_values", "key") + "\nSELECT key FROM keys WHERE key IS NOT NULL UNION SELECT key FROM engage_evaluated", Texts);

    /// <summary>Each definition's fingerprint once every profile has been evaluated with it, by key.</summary>
    public static IReadOnlyDictionary<string, string> EngageEvaluated(this IProfileQueries db) =>
        db.Query("SELECT key, fingerprint FROM engage_evaluated", rows =>
        {
            var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
            while (rows.Read())
            {
                pairs[rows.GetString(0)] = rows.GetString(1);
            }

            return pairs;
        });

    /// <summary>A profile's computed traits and audience memberships by key, as JSON.</summary>
    public static IReadOnlyDictionary<string, string> EngageValuesOf(this IProfileQueries db, string profileId) =>
        db.Query(EngageChange.ValuesOfProfile, rows =>
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            while (rows.Read())
            {
                values[rows.GetString(0)] = rows.GetString(1);
            }

            return values;
        }, profileId);

    /// <summary>The profiles that have a value of a computed trait or an audience (<c>false</c>: left it), by profile id, after <paramref name="after"/>.</summary>
    public static IReadOnlyList<EngageValueRow> EngageValues(this IProfileQueries db, string key, int limit, string? after = null) =>
        db.Query("SELECT profile_id, value, changed_at FROM engage_values WHERE key = $1 AND profile_id > $3 ORDER BY profile_id LIMIT $2", rows =>
        {
            var values = new List<EngageValueRow>();
            while (rows.Read())
            {
                values.Add(new EngageValueRow(key, rows.GetString(0), rows.GetString(1), rows.GetInt64(2)));
            }

            return values;
        }, key, limit, after ?? "");

    /// <summary>The changes of computed traits and memberships after <paramref name="afterId"/>, in order.</summary>
    public static IReadOnlyList<EngageChangeRow> EngageChanges(this IProfileQueries db, long afterId, int limit) =>
        db.Query("SELECT id, key, profile_id, value, previous, at FROM engage_changes WHERE id > $1 ORDER BY id LIMIT $2", Changes, afterId, limit);

    /// <summary>The changes of one computed trait or audience after <paramref name="afterId"/>, in order.</summary>
    public static IReadOnlyList<EngageChangeRow> EngageChangesOf(this IProfileQueries db, string key, long afterId, int limit) =>
        db.Query("SELECT id, key, profile_id, value, previous, at FROM engage_changes WHERE key = $1 AND id > $2 ORDER BY id LIMIT $3", Changes, key, afterId, limit);

    /// <summary>A definition's newest changes, newest first.</summary>
    public static IReadOnlyList<EngageChangeRow> RecentEngageChanges(this IProfileQueries db, string key, int limit) =>
        db.Query("SELECT id, key, profile_id, value, previous, at FROM engage_changes WHERE key = $1 ORDER BY id DESC LIMIT $2", Changes, key, limit);

    /// <summary>How many changes of a definition come after <paramref name="afterId"/>.</summary>
    public static long EngageChangesAfter(this IProfileQueries db, string key, long afterId) =>
        db.Query("SELECT count(*) FROM engage_changes WHERE key = $1 AND id > $2", rows => rows.Read() ? rows.GetInt64(0) : 0, key, afterId);

    /// <summary>
    /// The current values of a definition (members; values other than null), with the highest change id
    /// they include. engage_changes rows are written only by profiles steps, which hold the profiles lock
    /// to their commit: ids become visible in order, so "after the highest id seen" never passes over one.
    /// </summary>
    public static EngageSnapshot EngageSnapshotOf(this IProfileQueries db, string key) =>
        db.Query("""
            SELECT m.id, v.profile_id, v.value FROM (SELECT coalesce(max(id), 0) AS id FROM engage_changes) m
            LEFT JOIN engage_values v ON v.key = $1 AND v.value NOT IN ('null', 'false')
            ORDER BY v.profile_id
            """, rows =>
        {
            long last = 0;
            var values = new List<EngageValueRow>();
            while (rows.Read())
            {
                last = rows.GetInt64(0);
                if (!rows.IsDBNull(1))
                {
                    values.Add(new EngageValueRow(key, rows.GetString(1), rows.GetString(2), 0));
                }
            }

            return new EngageSnapshot(last, values);
        }, key);

    /// <summary>Each connection's sync: the last change sent, by connection (<c>key/destination</c>).</summary>
    public static IReadOnlyDictionary<string, EngageSyncRow> EngageSyncs(this IProfileQueries db) =>
        db.Query("SELECT connection, last_change_id, started_at, synced_at, messages FROM engage_syncs", rows =>
        {
            var syncs = new Dictionary<string, EngageSyncRow>(StringComparer.Ordinal);
            while (rows.Read())
            {
                syncs[rows.GetString(0)] = new EngageSyncRow(rows.GetString(0), rows.GetInt64(1), rows.GetInt64(2), rows.GetInt64(3), rows.GetInt64(4));
            }

            return syncs;
        });

    /// <summary>Records that a connection sent its changes up to <paramref name="lastChangeId"/> (never moving back), and how many messages.</summary>
    public static void SaveEngageSync(this IProfileQueries db, string connection, long lastChangeId, long at, long messages) =>
        db.Query("""
            INSERT INTO engage_syncs (connection, last_change_id, started_at, synced_at, messages) VALUES ($1, $2, $3, $3, $4)
            ON CONFLICT (connection) DO UPDATE SET
                last_change_id = CASE WHEN engage_syncs.last_change_id > excluded.last_change_id THEN engage_syncs.last_change_id ELSE excluded.last_change_id END,
                synced_at = excluded.synced_at, messages = engage_syncs.messages + excluded.messages
            """, rows => rows.RecordsAffected, connection, lastChangeId, at, messages);

    /// <summary>Records a run of a connection's sync (<see cref="EngageSyncRun"/>).</summary>
    public static void RecordEngageSyncRun(this IProfileQueries db, string connection, long at, bool first, long values, long messages) =>
        db.Query(
            "INSERT INTO engage_sync_runs (connection, at, first, changes, messages) VALUES ($1, $2, $3, $4, $5)",
            rows => rows.RecordsAffected, connection, at, first ? 1L : 0L, values, messages);

    /// <summary>Deletes each connection's sync runs but for its <paramref name="keep"/> newest; how many.</summary>
    public static int PruneEngageSyncRuns(this IProfileQueries db, int keep) =>
        db.Query("""
            DELETE FROM engage_sync_runs WHERE id IN (
                SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY connection ORDER BY id DESC) AS newer FROM engage_sync_runs) runs
                WHERE newer > $1)
            """, rows => rows.RecordsAffected, (long)keep);

    /// <summary>The newest runs of the syncs of a definition's connections (<c>key/destination</c>), newest first.</summary>
    public static IReadOnlyList<EngageSyncRun> EngageSyncRunsOf(this IProfileQueries db, string key, int limit) =>
        db.Query(
            "SELECT connection, at, first, changes, messages FROM engage_sync_runs WHERE substr(connection, 1, length($1)) = $1 ORDER BY id DESC LIMIT $2",
            rows =>
            {
                var runs = new List<EngageSyncRun>();
                while (rows.Read())
                {
                    runs.Add(new EngageSyncRun(rows.GetString(0), rows.GetInt64(1), rows.GetInt64(2) != 0, rows.GetInt64(3), rows.GetInt64(4)));
                }

                return runs;
            },
            key + "/",
            (long)limit);

    /// <summary>
    /// Deletes a definition's changes older than both <paramref name="sentBefore"/> (every connection has
    /// sent them) and its <paramref name="keep"/> newest (the history its page shows); how many.
    /// </summary>
    public static int PruneEngageChanges(this IProfileQueries db, string key, long sentBefore, int keep) =>
        db.Query("""
            DELETE FROM engage_changes WHERE key = $1 AND id < $2
                AND id < coalesce((SELECT min(id) FROM (SELECT id FROM engage_changes WHERE key = $1 ORDER BY id DESC LIMIT $3) newest), 0)
            """, rows => rows.RecordsAffected, key, sentBefore, keep);

    /// <summary>Per key: how many profiles have a value (an audience: are members), and when a value last changed (Unix ms).</summary>
    public static IReadOnlyDictionary<string, EngageSize> EngageSizes(this IProfileQueries db)
    {
        var sizes = db.Query("SELECT key, count(*) FROM engage_values WHERE value NOT IN ('null', 'false') GROUP BY key", Counts);
        var changed = db.Query("SELECT key, max(at) FROM engage_changes GROUP BY key", Counts);
        return sizes.Keys.Union(changed.Keys).ToDictionary(
            k => k, k => new EngageSize(k, sizes.GetValueOrDefault(k), changed.TryGetValue(k, out var at) ? at : null), StringComparer.Ordinal);
    }

    /// <summary>A profile's Engage state (its aggregates and values, JSON), or null.</summary>
    public static string? EngageStateOf(this IProfileQueries db, string profileId) =>
        db.Query("SELECT state FROM engage_state WHERE profile_id = $1", rows => rows.Read() && !rows.IsDBNull(0) ? rows.GetString(0) : null, profileId);

    /// <summary>
    /// Profiles (not merged into another) after <paramref name="after"/> by id, at most <paramref name="limit"/>,
    /// each with its Engage state, its identifiers' types and (when <paramref name="withTraits"/>) its traits:
    /// what a preview evaluates, read a range at a time.
    /// </summary>
    public static IReadOnlyList<ProfileForEngage> ProfilesForEngage(this IProfileQueries db, string after, int limit, bool withTraits)
    {
        var profiles = db.Query("""
            SELECT p.id, s.state FROM profiles p LEFT JOIN engage_state s ON s.profile_id = p.id
            WHERE p.merged_into IS NULL AND p.id > $1 ORDER BY p.id LIMIT $2
            """, rows =>
        {
            var found = new List<(string Id, string? State)>();
            while (rows.Read())
            {
                found.Add((rows.GetString(0), rows.IsDBNull(1) ? null : rows.GetString(1)));
            }

            return found;
        }, after, limit);
        if (profiles.Count == 0)
        {
            return [];
        }

        var (first, last) = (profiles[0].Id, profiles[^1].Id);
        var types = db.Query("SELECT profile_id, type FROM profile_identifiers WHERE profile_id >= $1 AND profile_id <= $2", rows =>
        {
            var found = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            while (rows.Read())
            {
                (found.TryGetValue(rows.GetString(0), out var of) ? of : found[rows.GetString(0)] = new(StringComparer.Ordinal)).Add(rows.GetString(1));
            }

            return found;
        }, first, last);
        var traits = withTraits
            ? db.Query("SELECT profile_id, key, value FROM profile_traits WHERE profile_id >= $1 AND profile_id <= $2 AND value IS NOT NULL", rows =>
            {
                var found = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
                while (rows.Read())
                {
                    (found.TryGetValue(rows.GetString(0), out var of) ? of : found[rows.GetString(0)] = new(StringComparer.Ordinal))[rows.GetString(1)] = rows.GetString(2);
                }

                return found;
            }, first, last)
            : [];
        return [.. profiles.Select(p => new ProfileForEngage(
            p.Id, p.State, types.TryGetValue(p.Id, out var t) ? t : new HashSet<string>(), traits.TryGetValue(p.Id, out var v) ? v : new Dictionary<string, string>()))];
    }

    /// <summary>How many profiles there are (not merged into another).</summary>
    public static long ProfileCount(this IProfileQueries db) =>
        db.Query("SELECT count(*) FROM profiles WHERE merged_into IS NULL", rows => rows.Read() ? rows.GetInt64(0) : 0);

    /// <summary>Up to <paramref name="count"/> profiles (not merged into another), drawn at random.</summary>
    public static IReadOnlyList<string> SampleProfiles(this IProfileQueries db, int count) =>
        db.Query("SELECT id FROM profiles WHERE merged_into IS NULL ORDER BY random() LIMIT $1", Texts, count);

    private static string Ids(int count) => string.Join(", ", Enumerable.Range(1, count).Select(n => $"${n}"));

    private static List<string> Texts(DbDataReader rows)
    {
        var texts = new List<string>();
        while (rows.Read())
        {
            texts.Add(rows.GetString(0));
        }

        return texts;
    }

    private static Dictionary<string, long> Counts(DbDataReader rows)
    {
        var found = new Dictionary<string, long>(StringComparer.Ordinal);
        while (rows.Read())
        {
            found[rows.GetString(0)] = rows.GetInt64(1);
        }

        return found;
    }

    private static List<EngageChangeRow> Changes(DbDataReader rows)
    {
        var changes = new List<EngageChangeRow>();
        while (rows.Read())
        {
            changes.Add(new EngageChangeRow(rows.GetInt64(0), rows.GetString(1), rows.GetString(2), rows.GetString(3), rows.IsDBNull(4) ? null : rows.GetString(4), rows.GetInt64(5)));
        }

        return changes;
    }
}
