using Sluice.Engage.Computation;
using Sluice.Profiles;
using Sluice.Profiles.Store;
using Sluice.Storage;

namespace Sluice.Engage.Store;

/// <summary>
/// A profile's Engage state, saved with the step: its aggregates' states and its values as stored (UTF-8 JSON,
/// <see cref="EngageStep.Write"/>), and when to evaluate it again (Unix ms; null: when an event comes). The
/// state is written out when its profile is evaluated, so that a step holds its bytes to its end, not the
/// profile's aggregates as objects.
/// </summary>
internal sealed record EngageStateSaved(string ProfileId, Utf8Text State, long? DueAt) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => [("""
        INSERT INTO engage_state (profile_id, state, due_at) VALUES ($1, $2, NULLIF($3, -1))
        ON CONFLICT (profile_id) DO UPDATE SET state = excluded.state, due_at = excluded.due_at
        """, [ProfileId, State, DueAt ?? EngageChange.NoTime])];
}

/// <summary>
/// A profile's Engage state and values go: it was merged into another, or is being recomputed. Its values are
/// those its state lists (<paramref name="Keys"/>), or, when not given, every value found by every definition's
/// key (a seek per key stored). A state lists every value row its profile has of the definitions in force: the
/// rows and the state are written together, and a definition no longer in force loses its rows at the first
/// step without it (<see cref="EngageDefinitionLeftOut"/>), in the same transaction, before any profile.
/// </summary>
/// <param name="Keys">The keys of the values its state lists (null: look for every one).</param>
internal sealed record EngageProfileRemoved(string ProfileId, IReadOnlyList<string>? Keys = null) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => [
        ("DELETE FROM engage_state WHERE profile_id = $1", [ProfileId]),
        .. Keys is null
            ? [(EngageChange.DeleteValuesOfProfile, [ProfileId])]
            : Keys.Select(key => ("DELETE FROM engage_values WHERE key = $1 AND profile_id = $2", new object?[] { key, ProfileId }))];
}

/// <summary>
/// A computed trait's value or an audience's membership changed for a profile (<see cref="Json"/>: the
/// new value's JSON, <c>null</c> for "no value any more"; <see cref="Previous"/> null when it had none):
/// what syncs to destinations are made from.
/// </summary>
internal sealed record EngageValueChanged(string Key, string ProfileId, string Json, string? Previous, long At) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => [
        (EngageChange.UpsertValue, [Key, ProfileId, Json, At]),
        ("INSERT INTO engage_changes (key, profile_id, value, previous, at) VALUES ($1, $2, $3, $4, $5)", [Key, ProfileId, Json, Previous, At])];
}

/// <summary>A value that did not change, written again for a profile whose values a recomputation removed first.</summary>
internal sealed record EngageValueKept(string Key, string ProfileId, string Json, long At) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => [(EngageChange.UpsertValue, [Key, ProfileId, Json, At])];
}

/// <summary>
/// A value that did not change, whose row the evaluation sweep of a new or changed definition makes sure
/// of (<see cref="EngageStep.Confirm"/>): written when missing (a definition made again under a key the
/// states still hold values of), left as it is when it holds the value, so a member keeps its "since".
/// </summary>
internal sealed record EngageValueConfirmed(string Key, string ProfileId, string Json, long At) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() =>
        [(EngageChange.UpsertValue + "\nWHERE engage_values.value <> excluded.value", [Key, ProfileId, Json, At])];
}

/// <summary>
/// A value that stays, sent again because its profile gained an identifier (Segment re-sends a profile's
/// values when it gains an external id: a destination keyed by the new one learns them): a change whose
/// previous value is its value, which syncs send as an identify. The value row is as it was.
/// </summary>
internal sealed record EngageValueResent(string Key, string ProfileId, string Json, long At) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() =>
        [("INSERT INTO engage_changes (key, profile_id, value, previous, at) VALUES ($1, $2, $3, $3, $4)", [Key, ProfileId, Json, At])];
}

/// <summary>
/// An aggregate a definition uses that is not registered: the events up to <see cref="Start"/> (the profiles
/// consumer's cursors, JSON) are for the backfill to compute (none: <see cref="DoneAt"/> is set), the later
/// ones the consumer takes. <see cref="Name"/> is new to this registration: what profiles' states hold of an
/// earlier one of the same key (under its own name) is not taken for it.
/// </summary>
internal sealed record EngageAggregateRegistered(string Key, string Name, string Start, long RegisteredAt, long? DoneAt) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => [("""
        INSERT INTO engage_aggregates (key, start, progress, registered_at, done_at, name) VALUES ($1, $2, 0, $3, NULLIF($4, -1), $5)
        ON CONFLICT (key) DO NOTHING
        """, [Key, Start, RegisteredAt, DoneAt ?? EngageChange.NoTime, Name])];
}

/// <summary>
/// An aggregate no definition in force uses any more: its registration ends in the step that first leaves it
/// out (that step's events are not taken into it), so a definition that uses it again registers it anew and
/// computes it over every event, those of the time it was not used included.
/// </summary>
internal sealed record EngageAggregateRetired(string Key) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => [("DELETE FROM engage_aggregates WHERE key = $1", [Key])];
}

/// <summary>The backfill of an aggregate has read the log up to <see cref="Progress"/>; <see cref="DoneAt"/> once it has all.</summary>
internal sealed record EngageBackfillProgressed(string Key, long Progress, long? DoneAt) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() =>
        [("UPDATE engage_aggregates SET progress = $2, done_at = NULLIF($3, -1) WHERE key = $1", [Key, Progress, DoneAt ?? EngageChange.NoTime])];
}

/// <summary>A computed trait or audience made or changed through the Admin API: every node loads it at its next step.</summary>
internal sealed record EngageDefinitionSaved(StoredEngageDefinition Definition) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => [
        ("""
        INSERT INTO engage_definitions (key, kind, name, query, include_anonymous, destinations, created_at, updated_at, actor)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (key) DO UPDATE SET name = excluded.name, query = excluded.query, include_anonymous = excluded.include_anonymous,
            destinations = excluded.destinations, updated_at = excluded.updated_at, actor = excluded.actor
        """, [Definition.Key, Definition.Kind, Definition.Name, Definition.Query, Definition.IncludeAnonymous ? 1L : 0L,
            Definition.Destinations, Definition.CreatedAt, Definition.UpdatedAt, Definition.Actor]),
        (EngageChange.NextDefinitionsVersion, [])];
}

/// <summary>A computed trait or audience deleted through the Admin API: what a definition left out loses (<see cref="EngageDefinitionLeftOut"/>), and its changes and syncs too.</summary>
internal sealed record EngageDefinitionDeleted(string Key) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => [
        ("DELETE FROM engage_definitions WHERE key = $1", [Key]),
        .. new EngageDefinitionLeftOut(Key).Statements(),
        ("DELETE FROM engage_changes WHERE key = $1", [Key]),
        ("DELETE FROM engage_syncs WHERE substr(connection, 1, length($1)) = $1", [Key + "/"]),
        ("DELETE FROM engage_sync_runs WHERE substr(connection, 1, length($1)) = $1", [Key + "/"]),
        (EngageChange.NextDefinitionsVersion, [])];
}

/// <summary>
/// A definition no longer in force that was not deleted (taken out of the workspace file, or a stored one
/// left out for a cycle): its values and its evaluation go, its changes and syncs stay. The profiles
/// changed without it meanwhile, and their states dropped its values when written; put back, it is
/// evaluated on every profile again before it is synced, and its members are changes again.
/// </summary>
internal sealed record EngageDefinitionLeftOut(string Key) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => [
        ("DELETE FROM engage_values WHERE key = $1", [Key]),
        ("DELETE FROM engage_evaluated WHERE key = $1", [Key])];
}

/// <summary>The evaluation sweep for the definitions of <see cref="Fingerprint"/> has evaluated every profile up to <see cref="After"/>.</summary>
internal sealed record EngageSweepProgressed(string Fingerprint, string After) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => [("""
        INSERT INTO engage_sweep (id, fingerprint, after) VALUES (1, $1, $2)
        ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, after = excluded.after
        """, [Fingerprint, After])];
}

/// <summary>Every profile has been evaluated with these definitions (key, fingerprint).</summary>
internal sealed record EngageDefinitionsEvaluated(IReadOnlyList<KeyValuePair<string, string>> Fingerprints) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => Fingerprints.Select(f => ("""
        INSERT INTO engage_evaluated (key, fingerprint) VALUES ($1, $2)
        ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint
        """, new object?[] { f.Key, f.Value }));
}

/// <summary>What Engage's changes share.</summary>
internal static class EngageChange
{
    /// <summary>
    /// No time (nothing due, not done), as a parameter: NULL in the column. A null parameter is sent as
    /// text, which PostgreSQL does not put in a bigint column.
    /// </summary>
    public const long NoTime = -1;

    public const string UpsertValue = """
        INSERT INTO engage_values (key, profile_id, value, changed_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (key, profile_id) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at
        """;

    public const string NextDefinitionsVersion = "UPDATE engage_definitions_version SET version = version + 1";

    /// <summary>
    /// Deletes every value of the profile <c>$1</c>: <c>engage_values</c> has no index by profile (one more
    /// B-tree written for every value that moves), so each definition's key is sought with it.
    /// </summary>
    public static readonly string DeleteValuesOfProfile = ProfileSql.DistinctLeading("keys", "engage_values", "key")
        + "\nDELETE FROM engage_values WHERE key IN (SELECT key FROM keys) AND profile_id = $1";

    /// <summary>Reads every value (key, value) of the profile <c>$1</c>, as <see cref="DeleteValuesOfProfile"/> finds them.</summary>
    public static readonly string ValuesOfProfile = ProfileSql.DistinctLeading("keys", "engage_values", "key")
        + "\nSELECT key, value FROM engage_values WHERE key IN (SELECT key FROM keys) AND profile_id = $1";
}
