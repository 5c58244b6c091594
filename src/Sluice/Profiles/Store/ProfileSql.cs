using System.Data.Common;
using System.Text.Json;
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

    /// <summary>$1: the text as written, $2: as a JSON string, $3: how many. Traits are found through their first 200 characters' index.</summary>
    public const string Search = """
        SELECT profile_id FROM profile_identifiers WHERE value = $1
        UNION
        SELECT profile_id FROM profile_traits WHERE substr(value, 1, 200) IN (substr($1, 1, 200), substr($2, 1, 200)) AND value IN ($1, $2)
        ORDER BY 1 LIMIT $3
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

    public const string MetadataOf = """
        SELECT p.created_at, p.updated_at, first.message_id, first.source_id
        FROM profiles p LEFT JOIN (
            SELECT message_id, source_id FROM profile_identifiers WHERE profile_id = $1 ORDER BY added_at, type, value LIMIT 1
        ) first ON true
        WHERE p.id = $1 AND p.merged_into IS NULL
        """;

    /// <summary>A profile and its identifiers, one row each (a profile with none gives one row of nulls after the first two).</summary>
    public const string ReadProfile = """
        SELECT p.created_at, p.merges, i.type, i.value, i.added_at
        FROM profiles p LEFT JOIN profile_identifiers i ON i.profile_id = p.id
        WHERE p.id = $1
        """;

    /// <summary>Reads <see cref="ReadProfile"/>'s rows.</summary>
    public static ProfileIdentity ReadIdentity(DbDataReader rows, string profileId)
    {
        long? createdAt = null;
        var merges = 0;
        var mappings = new List<IdentifierMapping>();
        while (rows.Read())
        {
            (createdAt, merges) = (rows.GetInt64(0), rows.GetInt32(1));
            if (!rows.IsDBNull(2))
            {
                mappings.Add(new IdentifierMapping(new Identifier(rows.GetString(2), rows.GetString(3)), rows.GetInt64(4)));
            }
        }

        return createdAt is { } created
            ? new ProfileIdentity(profileId, created, merges, mappings)
            : throw new InvalidOperationException($"profile {profileId} is not in the store");
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

    // A later (timestamp, log time, messageId) wins, whatever order the events come in. "WHERE true":
    // SQLite needs a WHERE between INSERT … SELECT and ON CONFLICT to parse the upsert.
    private const string UpsertTrait = """
        ON CONFLICT (profile_id, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp,
            received_at = excluded.received_at, message_id = excluded.message_id, source_id = excluded.source_id
        WHERE (excluded.timestamp, excluded.received_at, excluded.message_id) > (profile_traits.timestamp, profile_traits.received_at, profile_traits.message_id)
        """;

    /// <summary>The statements that apply a step's changes, in order, then bring the profiles' update times forward.</summary>
    public static IEnumerable<(string Sql, object?[] Values)> Of(IReadOnlyList<ProfileChange> changes) => changes.SelectMany(Of).Concat(Touches(changes));

    private static IEnumerable<(string Sql, object?[] Values)> Of(ProfileChange change) => change switch
    {
        EventChange eventChange => Of(eventChange),
        ProfilesRecomputed recomputed => Of(recomputed),
        SettingsSaved saved => [("""
            INSERT INTO profile_settings (id, settings, updated_at, actor) VALUES (1, $1, $2, $3)
            ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, actor = excluded.actor
            """, [saved.Json, saved.At, saved.Actor])],
        _ => throw new ArgumentOutOfRangeException(nameof(change), change.GetType().Name, "not a profile change"),
    };

    /// <summary>
    /// Takes the recomputed profiles apart: their identifiers, traits, event references and rows go (the
    /// changes after it make them again); the unmerge is logged, and the merges and drops of their events
    /// are marked undone by it (the newest unmerge row: the step holds the profiles lock).
    /// </summary>
    private static IEnumerable<(string Sql, object?[] Values)> Of(ProfilesRecomputed recomputed)
    {
        if (recomputed.Blocked is { } blocked)
        {
            yield return ("""
                INSERT INTO profile_blocked (type, value, profile_id, at, actor, note) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (type, value) DO NOTHING
                """, [blocked.Type, blocked.Value, recomputed.ProfileId, recomputed.At, recomputed.Actor, recomputed.Note]);
        }

        yield return ("""
            INSERT INTO profile_log (kind, profile_id, other_profile_id, identifier_type, identifier_value, reason, source_id, message_id, log_position, message_index, at, actor)
            VALUES ($1, $2, NULL, $3, $4, $5, '', '', 0, 0, $6, $7)
            """, [recomputed.Kind, recomputed.ProfileId, recomputed.Blocked?.Type, recomputed.Blocked?.Value, recomputed.Note, recomputed.At, recomputed.Actor]);
        foreach (var e in recomputed.Events)
        {
            yield return ("""
                UPDATE profile_log SET undone_by = (SELECT max(id) FROM profile_log WHERE kind IN ('unmerge', 'settings'))
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

    private static IEnumerable<(string Sql, object?[] Values)> Of(EventChange change)
    {
        var e = change.Event;
        switch (change)
        {
            case ProfileCreated created:
                yield return ("INSERT INTO profiles (id, created_at, merges, merged_into, updated_at) VALUES ($1, $2, 0, NULL, $2)", [created.ProfileId, e.ReceivedAt]);
                break;
            case IdentifierAdded added:
                yield return ("INSERT INTO profile_identifiers (type, value, profile_id, added_at, source_id, message_id) VALUES ($1, $2, $3, $4, $5, $6)",
                    [added.Identifier.Type, added.Identifier.Value, added.ProfileId, e.ReceivedAt, e.SourceId, e.MessageId]);
                break;
            case ProfilesMerged merged:
                yield return ("UPDATE profile_identifiers SET profile_id = $1 WHERE profile_id = $2", [merged.Into, merged.Merged]);
                yield return ($"""
                    INSERT INTO profile_traits (profile_id, key, value, timestamp, received_at, message_id, source_id)
                    SELECT $1, key, value, timestamp, received_at, message_id, source_id FROM profile_traits WHERE profile_id = $2 AND true
                    {UpsertTrait}
                    """, [merged.Into, merged.Merged]);
                yield return ("DELETE FROM profile_traits WHERE profile_id = $1", [merged.Merged]);
                // Profiles merged into the merged one point at the survivor too: any old id is one hop from it.
                yield return ("UPDATE profiles SET merged_into = $1, updated_at = $3 WHERE id = $2 OR merged_into = $2", [merged.Into, merged.Merged, e.ReceivedAt]);
                yield return ("UPDATE profiles SET merges = $2 WHERE id = $1", [merged.Into, merged.MergesAfter]);
                yield return Log("merge", merged.Into, merged.Merged, merged.Linked[0], JsonSerializer.Serialize(merged.EventIdentifiers.Select(i => i.ToString())), e);
                break;
            case IdentifierDropped dropped:
                yield return Log("drop", dropped.ProfileId, null, dropped.Dropped.Identifier, dropped.Dropped.Reason.ToString(), e);
                break;
            case EventAttached attached:
                yield return ("INSERT INTO profile_events (profile_id, log_position, message_index) VALUES ($1, $2, $3)", [attached.ProfileId, e.Position, e.Index]);
                break;
            case TraitsSet traits:
                foreach (var (key, value) in traits.Traits)
                {
                    yield return ($"""
                        INSERT INTO profile_traits (profile_id, key, value, timestamp, received_at, message_id, source_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
                        {UpsertTrait}
                        """, [traits.ProfileId, key, value, traits.Timestamp, e.ReceivedAt, e.MessageId, e.SourceId]);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(change), change.GetType().Name, "not a profile change");
        }
    }

    /// <summary>
    /// After a step's changes: each profile they added identifiers or traits to, or merged into, is
    /// updated as of the latest event that did so (one statement per profile, not per change).
    /// </summary>
    private static IEnumerable<(string Sql, object?[] Values)> Touches(IReadOnlyList<ProfileChange> changes)
    {
        var latest = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var change in changes.OfType<EventChange>())
        {
            var profile = change switch
            {
                IdentifierAdded added => added.ProfileId,
                TraitsSet traits => traits.ProfileId,
                ProfilesMerged merged => merged.Into,
                _ => null,
            };
            if (profile is not null)
            {
                latest[profile] = Math.Max(latest.GetValueOrDefault(profile, long.MinValue), change.Event.ReceivedAt);
            }
        }

        return latest.Select(p => ("UPDATE profiles SET updated_at = CASE WHEN updated_at < $2 THEN $2 ELSE updated_at END WHERE id = $1", new object?[] { p.Key, p.Value }));
    }

    private static (string, object?[]) Log(string kind, string? profileId, string? otherProfileId, Identifier identifier, string? reason, EventReference e) =>
        ("""
            INSERT INTO profile_log (kind, profile_id, other_profile_id, identifier_type, identifier_value, reason, source_id, message_id, log_position, message_index, at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """, [kind, profileId, otherProfileId, identifier.Type, identifier.Value, reason, e.SourceId, e.MessageId, e.Position, e.Index, e.ReceivedAt]);
}
