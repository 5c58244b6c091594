using System.Data.Common;
using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles.Store;

/// <summary>
/// The statements that apply a <see cref="ProfileChange"/>, the same on SQLite and PostgreSQL (numbered
/// parameters <c>$1</c>…, row-value comparisons, upserts and RETURNING read alike on both).
/// </summary>
internal static class ProfileSql
{
    public const string NextVersion = "UPDATE profile_graph SET version = version + 1 RETURNING version";

    public const string ReadVersion = "SELECT version FROM profile_graph";

    public const string OwnerOf = "SELECT profile_id FROM profile_identifiers WHERE type = $1 AND value = $2";

    public const string Blocked = "SELECT type, value FROM profile_blocked";

    public const string AllOwners = "SELECT type, value, profile_id FROM profile_identifiers";

    public const string StoredSettings = "SELECT settings, updated_at, actor FROM profile_settings";

    public const string MembersOf = "SELECT id FROM profiles WHERE id = $1 OR merged_into = $1";

    public const string EventsOfOne = "SELECT log_position, message_index FROM profile_events WHERE profile_id = $1";

    public const string DropsOf = "SELECT log_position, message_index FROM profile_log WHERE identifier_type = $1 AND identifier_value = $2 AND kind = 'drop' AND undone_by IS NULL";

    /// <summary>
    /// The log of a profile and of those merged into it: merges, drops and unmerges, newest first; $2: how
    /// many. Undone entries stay, marked by the unmerge that undid them.
    /// </summary>
    public const string LogOf = """
        SELECT id, kind, profile_id, other_profile_id, identifier_type, identifier_value, reason, source_id, message_id, log_position, message_index, at, undone_by, actor
        FROM profile_log WHERE profile_id IN (SELECT id FROM profiles WHERE id = $1 OR merged_into = $1) OR (kind = 'unmerge' AND profile_id = $1)
        ORDER BY id DESC LIMIT $2
        """;

    public const string BlockedList = "SELECT type, value, profile_id, at, actor, note FROM profile_blocked ORDER BY at DESC, type, value LIMIT $1";

    public const string Survivor = "SELECT COALESCE(merged_into, id) FROM profiles WHERE id = $1";

    public const string ExternalIdsOf = "SELECT type, value, source_id, added_at, message_id FROM profile_identifiers WHERE profile_id = $1 ORDER BY added_at, type, value";

    public const string TraitRecordsOf = "SELECT key, value, source_id, timestamp, received_at FROM profile_traits WHERE profile_id = $1 AND value IS NOT NULL ORDER BY key";

    /// <summary>A profile's events after a place, newest first (<see cref="EventsOldestFirst"/>: oldest first); $2, $3: the place; $4: how many.</summary>
    public const string EventsNewestFirst = """
        SELECT log_position, message_index FROM profile_events
        WHERE profile_id IN (SELECT id FROM profiles WHERE id = $1 OR merged_into = $1) AND (log_position, message_index) < ($2, $3)
        ORDER BY log_position DESC, message_index DESC LIMIT $4
        """;

    public const string EventsOldestFirst = """
        SELECT log_position, message_index FROM profile_events
        WHERE profile_id IN (SELECT id FROM profiles WHERE id = $1 OR merged_into = $1) AND (log_position, message_index) > ($2, $3)
        ORDER BY log_position, message_index LIMIT $4
        """;

    /// <summary>
    /// $1: the text as written, $2: as a JSON string, $3: how many. Identifiers are found by one seek in the
    /// primary key per identifier type, not through an index by value, which every new identifier would
    /// write; traits through their first 200 characters' index.
    /// </summary>
    public static readonly string Search = DistinctLeading("types", "profile_identifiers", "type") + """

        SELECT profile_id FROM profile_identifiers WHERE type IN (SELECT type FROM types) AND value = $1
        UNION
        SELECT profile_id FROM profile_traits WHERE substr(value, 1, 200) IN (substr($1, 1, 200), substr($2, 1, 200)) AND value IN ($1, $2)
        ORDER BY 1 LIMIT $3
        """;

    /// <summary>
    /// A table expression <paramref name="name"/>(<paramref name="column"/>) of the distinct values of the
    /// leading column of <paramref name="table"/>'s primary key, one seek each (a loose index scan): when they
    /// are few (identifier types, definitions' keys), seeking each of them with a second column's value is
    /// cheaper than an index on that column written at every row. The same text on SQLite and PostgreSQL.
    /// </summary>
    public static string DistinctLeading(string name, string table, string column) => $"""
        WITH RECURSIVE {name}({column}) AS (
            SELECT min({column}) FROM {table}
            UNION ALL
            SELECT (SELECT min(t.{column}) FROM {table} t WHERE t.{column} > {name}.{column}) FROM {name} WHERE {name}.{column} IS NOT NULL)
        """;

    public static IReadOnlyList<string> ReadTexts(DbDataReader rows)
    {
        var texts = new List<string>();
        while (rows.Read())
        {
            texts.Add(rows.GetString(0));
        }

        return texts;
    }

    /// <summary>
    /// A profile's metadata. Its update time is the latest of what changed it: an identifier added, a trait
    /// that won, a merge, unmerge or settings change naming it (each as of the event or action that did it).
    /// It is found when read rather than written at every step: that write was a random-key row per profile
    /// a step touched, about a tenth of the profiles consumer's time.
    /// </summary>
    public const string MetadataOf = """
        SELECT p.created_at,
            (SELECT max(at) FROM (
                SELECT p.updated_at AS at
                UNION ALL SELECT max(added_at) FROM profile_identifiers WHERE profile_id = $1
                UNION ALL SELECT max(received_at) FROM profile_traits WHERE profile_id = $1
                UNION ALL SELECT max(at) FROM profile_log WHERE profile_id = $1 AND kind <> 'drop') changes),
            first.message_id, first.source_id
        FROM profiles p LEFT JOIN (
            SELECT message_id, source_id FROM profile_identifiers WHERE profile_id = $1 ORDER BY added_at, type, value LIMIT 1
        ) first ON true
        WHERE p.id = $1 AND p.merged_into IS NULL
        """;

    /// <summary>The owners of identifiers, given as <c>$1, $2</c> (type, value), <c>$3, $4</c>… for <paramref name="count"/> of them.</summary>
    public static string OwnersOf(int count) =>
        "WITH wanted(type, value) AS (VALUES " + string.Join(", ", Enumerable.Range(0, count).Select(i => $"(${(2 * i) + 1}, ${(2 * i) + 2})"))
        + ") SELECT i.type, i.value, i.profile_id FROM wanted JOIN profile_identifiers i ON i.type = wanted.type AND i.value = wanted.value";

    /// <summary>Profiles and their identifiers, one row each (a profile with none gives one row of nulls after the first three), for ids <c>$1</c>… (<paramref name="count"/> of them).</summary>
    public static string ReadProfiles(int count) => $"""
        SELECT p.id, p.created_at, p.merges, i.type, i.value, i.added_at
        FROM profiles p LEFT JOIN profile_identifiers i ON i.profile_id = p.id
        WHERE p.id IN ({string.Join(", ", Enumerable.Range(1, count).Select(n => $"${n}"))})
        """;

    public static IReadOnlyList<ProfileIdentity> ReadIdentities(DbDataReader rows)
    {
        var profiles = new Dictionary<string, ProfileIdentity>(StringComparer.Ordinal);
        while (rows.Read())
        {
            var id = rows.GetString(0);
            if (!profiles.TryGetValue(id, out var profile))
            {
                profiles[id] = profile = new ProfileIdentity(id, rows.GetInt64(1), rows.GetInt32(2), new List<IdentifierMapping>());
            }

            if (!rows.IsDBNull(3))
            {
                ((List<IdentifierMapping>)profile.Identifiers).Add(new IdentifierMapping(new Identifier(rows.GetString(3), rows.GetString(4)), rows.GetInt64(5)));
            }
        }

        return [.. profiles.Values];
    }

    public static IReadOnlyList<StoredIdentifier> ReadExternalIds(DbDataReader rows)
    {
        var identifiers = new List<StoredIdentifier>();
        while (rows.Read())
        {
            identifiers.Add(new StoredIdentifier(new Identifier(rows.GetString(0), rows.GetString(1)), rows.GetString(2), rows.GetInt64(3), rows.GetString(4)));
        }

        return identifiers;
    }

    public static IReadOnlyList<StoredTrait> ReadTraitRecords(DbDataReader rows)
    {
        var traits = new List<StoredTrait>();
        while (rows.Read())
        {
            traits.Add(new StoredTrait(rows.GetString(0), rows.GetString(1), rows.GetString(2), rows.GetInt64(3), rows.GetInt64(4)));
        }

        return traits;
    }

    public static ProfileMetadata? ReadMetadata(DbDataReader rows) =>
        rows.Read() ? new ProfileMetadata(rows.GetInt64(0), rows.GetInt64(1), rows.IsDBNull(2) ? null : rows.GetString(2), rows.IsDBNull(3) ? null : rows.GetString(3)) : null;

    public static IReadOnlyList<EventPosition> ReadEventPositions(DbDataReader rows)
    {
        var positions = new List<EventPosition>();
        while (rows.Read())
        {
            positions.Add(new EventPosition(rows.GetInt64(0), rows.GetInt32(1)));
        }

        return positions;
    }

    /// <summary>The parameters of <see cref="EventsNewestFirst"/> and <see cref="EventsOldestFirst"/>.</summary>
    public static object[] EventsArguments(string profileId, int limit, EventPosition? after, bool newestFirst) =>
        after is { } from ? [profileId, from.Position, from.Index, limit]
        : newestFirst ? [profileId, long.MaxValue, int.MaxValue, limit]
        : [profileId, -1L, -1, limit];

    public static IReadOnlySet<Identifier> ReadIdentifiers(DbDataReader rows)
    {
        var identifiers = new HashSet<Identifier>();
        while (rows.Read())
        {
            identifiers.Add(new Identifier(rows.GetString(0), rows.GetString(1)));
        }

        return identifiers;
    }

    public static IReadOnlyList<IdentifierOwner> ReadOwners(DbDataReader rows)
    {
        var owners = new List<IdentifierOwner>();
        while (rows.Read())
        {
            owners.Add(new IdentifierOwner(new Identifier(rows.GetString(0), rows.GetString(1)), rows.GetString(2)));
        }

        return owners;
    }

    public static StoredIdentitySettings? ReadSettings(DbDataReader rows) =>
        rows.Read() ? new StoredIdentitySettings(rows.GetString(0), rows.GetInt64(1), rows.GetString(2)) : null;

    public static IReadOnlyList<ProfileLogEntry> ReadLog(DbDataReader rows)
    {
        var entries = new List<ProfileLogEntry>();
        while (rows.Read())
        {
            string? Text(int i) => rows.IsDBNull(i) ? null : rows.GetString(i);
            var identifier = Text(4) is { } type ? new Identifier(type, rows.GetString(5)) : (Identifier?)null;
            entries.Add(new ProfileLogEntry(
                rows.GetInt64(0), rows.GetString(1), Text(2), Text(3), identifier, Text(6), rows.GetString(7), rows.GetString(8),
                new EventPosition(rows.GetInt64(9), rows.GetInt32(10)), rows.GetInt64(11), rows.IsDBNull(12) ? null : rows.GetInt64(12), Text(13)));
        }

        return entries;
    }

    public static IReadOnlyList<BlockedIdentifier> ReadBlocked(DbDataReader rows)
    {
        var blocked = new List<BlockedIdentifier>();
        while (rows.Read())
        {
            blocked.Add(new BlockedIdentifier(new Identifier(rows.GetString(0), rows.GetString(1)), rows.IsDBNull(2) ? null : rows.GetString(2), rows.GetInt64(3), rows.GetString(4), rows.IsDBNull(5) ? null : rows.GetString(5)));
        }

        return blocked;
    }

    public static string? ReadText(DbDataReader rows) => rows.Read() && !rows.IsDBNull(0) ? rows.GetString(0) : null;
}
