using System.Data.Common;
using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles.Store;

/// <summary>
/// What the Profile API and search read, the same on both stores: each read is one statement of
/// <see cref="ProfileSql"/> on a connection of its own; a store says only how to run one.
/// </summary>
internal abstract class ProfileStoreReads : IProfileStore
{
    public abstract long RunStep(Func<IProfileGraphReader, IReadOnlyList<ProfileChange>> resolve, IReadOnlyList<CursorAdvance> advances, bool changesGraph = true);

    public string? ProfileOf(Identifier identifier) => Query(ProfileSql.OwnerOf, ProfileSql.ReadText, identifier.Type, identifier.Value);

    public string? Survivor(string profileId) => Query(ProfileSql.Survivor, ProfileSql.ReadText, profileId);

    public IReadOnlyList<StoredIdentifier> ExternalIdsOf(string profileId) => Query(ProfileSql.ExternalIdsOf, ProfileSql.ReadExternalIds, profileId);

    public IReadOnlyList<StoredTrait> TraitRecordsOf(string profileId) => Query(ProfileSql.TraitRecordsOf, ProfileSql.ReadTraitRecords, profileId);

    public ProfileMetadata? MetadataOf(string profileId) => Query(ProfileSql.MetadataOf, ProfileSql.ReadMetadata, profileId);

    public IReadOnlyList<string> Search(string text, int limit) =>
        Query(ProfileSql.Search, ProfileSql.ReadTexts, text, System.Text.Json.JsonSerializer.Serialize(text), limit);

    public IReadOnlyList<EventPosition> EventsOf(string profileId, int limit, EventPosition? after, bool newestFirst) =>
        Query(newestFirst ? ProfileSql.EventsNewestFirst : ProfileSql.EventsOldestFirst, ProfileSql.ReadEventPositions, ProfileSql.EventsArguments(profileId, limit, after, newestFirst));

    public IReadOnlyList<ProfileLogEntry> LogOf(string profileId, int limit) => Query(ProfileSql.LogOf, ProfileSql.ReadLog, profileId, limit);

    public IReadOnlyList<IdentifierOwner> AllOwners() => Query(ProfileSql.AllOwners, ProfileSql.ReadOwners);

    public StoredIdentitySettings? StoredSettings() => Query(ProfileSql.StoredSettings, ProfileSql.ReadSettings);

    public IReadOnlyList<BlockedIdentifier> BlockedIdentifiers(int limit) => Query(ProfileSql.BlockedList, ProfileSql.ReadBlocked, limit);

    public long? NextEngageDue() => Query("SELECT min(due_at) FROM engage_state", rows => rows.Read() && !rows.IsDBNull(0) ? rows.GetInt64(0) : (long?)null);

    public IReadOnlyDictionary<string, string> EngageValuesOf(string profileId) =>
        Query("SELECT key, value FROM engage_values WHERE profile_id = $1", rows =>
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            while (rows.Read())
            {
                values[rows.GetString(0)] = rows.GetString(1);
            }

            return values;
        }, profileId);

    public IReadOnlyList<EngageValueRow> EngageValues(string key, int limit, string? after = null) =>
        Query("SELECT profile_id, value, changed_at FROM engage_values WHERE key = $1 AND profile_id > $3 ORDER BY profile_id LIMIT $2", rows =>
        {
            var values = new List<EngageValueRow>();
            while (rows.Read())
            {
                values.Add(new EngageValueRow(key, rows.GetString(0), rows.GetString(1), rows.GetInt64(2)));
            }

            return values;
        }, key, limit, after ?? "");

    public IReadOnlyDictionary<string, EngageSize> EngageSizes()
    {
        var sizes = Query("SELECT key, count(*) FROM engage_values WHERE value NOT IN ('null', 'false') GROUP BY key", rows =>
        {
            var found = new Dictionary<string, long>(StringComparer.Ordinal);
            while (rows.Read())
            {
                found[rows.GetString(0)] = rows.GetInt64(1);
            }

            return found;
        });
        var changed = Query("SELECT key, max(at) FROM engage_changes GROUP BY key", rows =>
        {
            var found = new Dictionary<string, long>(StringComparer.Ordinal);
            while (rows.Read())
            {
                found[rows.GetString(0)] = rows.GetInt64(1);
            }

            return found;
        });
        return sizes.Keys.Union(changed.Keys).ToDictionary(
            k => k, k => new EngageSize(k, sizes.GetValueOrDefault(k), changed.TryGetValue(k, out var at) ? at : null), StringComparer.Ordinal);
    }

    public IReadOnlyList<ProfileForEngage> ProfilesForEngage(string after, int limit, bool withTraits)
    {
        var profiles = Query("""
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
        var types = Query("SELECT profile_id, type FROM profile_identifiers WHERE profile_id >= $1 AND profile_id <= $2", rows =>
        {
            var found = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            while (rows.Read())
            {
                (found.TryGetValue(rows.GetString(0), out var of) ? of : found[rows.GetString(0)] = new(StringComparer.Ordinal)).Add(rows.GetString(1));
            }

            return found;
        }, first, last);
        var traits = withTraits
            ? Query("SELECT profile_id, key, value FROM profile_traits WHERE profile_id >= $1 AND profile_id <= $2 AND value IS NOT NULL", rows =>
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

    public long ProfileCount() => Query("SELECT count(*) FROM profiles WHERE merged_into IS NULL", ProfileSql.ReadLong);

    public IReadOnlyList<string> SampleProfiles(int count) =>
        Query("SELECT id FROM profiles WHERE merged_into IS NULL ORDER BY random() LIMIT $1", ProfileSql.ReadTexts, count);

    public string? EngageStateOf(string profileId) => Query("SELECT state FROM engage_state WHERE profile_id = $1", ProfileSql.ReadText, profileId);

    public IReadOnlyList<EngageChangeRow> EngageChanges(long afterId, int limit) =>
        Query("SELECT id, key, profile_id, value, previous, at FROM engage_changes WHERE id > $1 ORDER BY id LIMIT $2", ReadChanges, afterId, limit);

    // engage_changes rows are written only by profiles steps, which hold the profiles lock to their commit: ids
    // become visible in order, so "after the highest id seen" never passes over one still to commit.
    public EngageSnapshot EngageSnapshotOf(string key) =>
        Query("""
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

    public IReadOnlyList<EngageChangeRow> EngageChangesOf(string key, long afterId, int limit) =>
        Query("SELECT id, key, profile_id, value, previous, at FROM engage_changes WHERE key = $1 AND id > $2 ORDER BY id LIMIT $3", ReadChanges, key, afterId, limit);

    public IReadOnlyDictionary<string, EngageAggregateRow> EngageAggregates() => Query(ProfileSql.EngageAggregates, ProfileSql.ReadEngageAggregates);

    public long EngageDefinitionsVersion() => Query(ProfileSql.EngageDefinitionsVersion, ProfileSql.ReadLong);

    public IReadOnlyList<StoredEngageDefinition> StoredEngageDefinitions() => Query(ProfileSql.StoredEngageDefinitions, ProfileSql.ReadEngageDefinitions);

    public IReadOnlyDictionary<string, string> EngageEvaluated() => Query(ProfileSql.EngageEvaluated, ProfileSql.ReadPairs);

    public IReadOnlyDictionary<string, EngageSyncRow> EngageSyncs() =>
        Query("SELECT connection, last_change_id, started_at, synced_at, messages FROM engage_syncs", rows =>
        {
            var syncs = new Dictionary<string, EngageSyncRow>(StringComparer.Ordinal);
            while (rows.Read())
            {
                syncs[rows.GetString(0)] = new EngageSyncRow(rows.GetString(0), rows.GetInt64(1), rows.GetInt64(2), rows.GetInt64(3), rows.GetInt64(4));
            }

            return syncs;
        });

    public void SaveEngageSync(string connection, long lastChangeId, long at, long messages) =>
        Query("""
            INSERT INTO engage_syncs (connection, last_change_id, started_at, synced_at, messages) VALUES ($1, $2, $3, $3, $4)
            ON CONFLICT (connection) DO UPDATE SET
                last_change_id = CASE WHEN engage_syncs.last_change_id > excluded.last_change_id THEN engage_syncs.last_change_id ELSE excluded.last_change_id END,
                synced_at = excluded.synced_at, messages = engage_syncs.messages + excluded.messages
            """, rows => rows.RecordsAffected, connection, lastChangeId, at, messages);

    private static List<EngageChangeRow> ReadChanges(DbDataReader rows)
    {
        var changes = new List<EngageChangeRow>();
        while (rows.Read())
        {
            changes.Add(new EngageChangeRow(rows.GetInt64(0), rows.GetString(1), rows.GetString(2), rows.GetString(3), rows.IsDBNull(4) ? null : rows.GetString(4), rows.GetInt64(5)));
        }

        return changes;
    }

    /// <summary>Runs <paramref name="sql"/> with <paramref name="values"/> as <c>$1</c>… and reads its rows.</summary>
    protected abstract T Query<T>(string sql, Func<DbDataReader, T> read, params object[] values);
}
