using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles;

/// <summary>The identity graph as it is stored, read during one step of the profiles consumer.</summary>
internal interface IProfileGraphReader
{
    /// <summary>The graph's version when the step began: it moves with every step committed, on any node.</summary>
    long Version { get; }

    /// <summary>The profile that owns the identifier, or null.</summary>
    string? OwnerOf(Identifier identifier);

    /// <summary>A profile that has not been merged into another, with its identifiers.</summary>
    ProfileIdentity Read(string profileId);

    /// <summary>The owners of those of <paramref name="identifiers"/> that have one, in few statements: a step's reads at once.</summary>
    IReadOnlyDictionary<Identifier, string> OwnersOf(IReadOnlyList<Identifier> identifiers);

    /// <summary>Profiles not merged into another, with their identifiers, in few statements.</summary>
    IReadOnlyList<ProfileIdentity> Read(IReadOnlyList<string> profileIds);

    /// <summary>Identifiers unmerges blocked: never an identifier again.</summary>
    IReadOnlySet<Identifier> Blocked();

    /// <summary>The identity settings saved through the Admin API, or null.</summary>
    StoredIdentitySettings? StoredSettings();

    /// <summary>Every identifier and the profile that has it (what a preview of other settings compares with).</summary>
    IReadOnlyList<IdentifierOwner> AllOwners();

    /// <summary>A profile not merged into another, and every profile merged into it.</summary>
    IReadOnlyList<string> MembersOf(string profileId);

    /// <summary>Where the events that belong to one profile (not to those merged into it) are in the log.</summary>
    IReadOnlyList<EventPosition> EventsOf(string profileId);

    /// <summary>The events whose resolution left the identifier out by a rule (not undone since).</summary>
    IReadOnlyList<EventPosition> DropsOf(Identifier identifier);

    /// <summary>Engage's stored state (JSON) of those profiles that have one.</summary>
    IReadOnlyDictionary<string, string> EngageStates(IReadOnlyList<string> profileIds);

    /// <summary>The traits of those profiles, with what decides which value wins.</summary>
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, Engage.Computation.TraitValue>> TraitValues(IReadOnlyList<string> profileIds);

    /// <summary>Profiles whose Engage values may change with time by <paramref name="now"/> (Unix ms), soonest first.</summary>
    IReadOnlyList<string> EngageDue(long now, int limit);

    /// <summary>The aggregates Engage has computed or is computing, by key.</summary>
    IReadOnlyDictionary<string, EngageAggregateRow> EngageAggregates();

    /// <summary>A consumer's cursors, by partition.</summary>
    IReadOnlyDictionary<int, long> CursorsOf(string consumer);

    /// <summary>The identifiers an event's resolution left out by a rule (not undone since).</summary>
    IReadOnlySet<Identifier> DroppedAt(EventPosition e);

    /// <summary>Moves with every change of the computed traits and audiences made through the Admin API.</summary>
    long EngageDefinitionsVersion();

    /// <summary>The computed traits and audiences made through the Admin API.</summary>
    IReadOnlyList<StoredEngageDefinition> StoredEngageDefinitions();

    /// <summary>Profiles (not merged into another) after <paramref name="after"/> by id, at most <paramref name="limit"/>.</summary>
    IReadOnlyList<string> ProfileIdsAfter(string after, int limit);

    /// <summary>The evaluation sweep: the definitions' fingerprint it is for and the last profile it evaluated (null: none yet).</summary>
    (string Fingerprint, string After)? EngageSweep();
}

/// <summary>Where profiles live: the identity graph, traits, the profiles' events (as log references) and the log of merges and drops.</summary>
internal interface IProfileStore
{
    /// <summary>
    /// One step of the profiles consumer: <paramref name="resolve"/> reads the graph and returns the changes
    /// its events make, which are applied in order, in one transaction with <paramref name="advances"/>
    /// (fenced by their leases) and a new graph version, returned. No other step changes the graph
    /// between the reads and the commit, on this node or another. A step that does not change the graph
    /// (<paramref name="changesGraph"/> false: Engage's sweep) keeps its version, so the nodes' memory of
    /// the graph stays good; it returns the version as it found it.
    /// </summary>
    long RunStep(Func<IProfileGraphReader, IReadOnlyList<ProfileChange>> resolve, IReadOnlyList<CursorAdvance> advances, bool changesGraph = true);

    /// <summary>The profile (not merged into another) that has the identifier, or null.</summary>
    string? ProfileOf(Identifier identifier);

    /// <summary>The profile a profile id names now: itself, or the profile it was merged into; null when there is none.</summary>
    string? Survivor(string profileId);

    /// <summary>A profile's identifiers, in the order they were added, with where each was first seen.</summary>
    IReadOnlyList<StoredIdentifier> ExternalIdsOf(string profileId);

    /// <summary>A profile's traits by key (removed traits are left out), with the event each value came from.</summary>
    IReadOnlyList<StoredTrait> TraitRecordsOf(string profileId);

    /// <summary>When a profile was made and last changed, and the first event it was seen in; null when it is not a profile now.</summary>
    ProfileMetadata? MetadataOf(string profileId);

    /// <summary>
    /// Where in the log a profile's events are (its own and those of the profiles merged into it), newest
    /// first or oldest first, after <paramref name="after"/> in that order.
    /// </summary>
    IReadOnlyList<EventPosition> EventsOf(string profileId, int limit, EventPosition? after, bool newestFirst);

    /// <summary>Profiles with an identifier whose value is <paramref name="text"/> (of any type), or a trait whose value is it (as a string or as written), by id.</summary>
    IReadOnlyList<string> Search(string text, int limit);

    /// <summary>The merges, drops and unmerges of a profile and of those merged into it, newest first.</summary>
    IReadOnlyList<ProfileLogEntry> LogOf(string profileId, int limit);

    /// <summary>Identifiers unmerges blocked, newest first.</summary>
    IReadOnlyList<BlockedIdentifier> BlockedIdentifiers(int limit);

    /// <summary>The identity settings saved through the Admin API, or null.</summary>
    StoredIdentitySettings? StoredSettings();

    /// <summary>Every identifier and the profile that has it.</summary>
    IReadOnlyList<IdentifierOwner> AllOwners();

    /// <summary>The soonest instant (Unix ms) at which time alone may change a profile's Engage values, or null.</summary>
    long? NextEngageDue();

    /// <summary>A profile's computed traits and audience memberships by key, as JSON.</summary>
    IReadOnlyDictionary<string, string> EngageValuesOf(string profileId);

    /// <summary>The profiles that have a value of a computed trait or an audience (<c>false</c>: left it), by profile id, after <paramref name="after"/>.</summary>
    IReadOnlyList<EngageValueRow> EngageValues(string key, int limit, string? after = null);

    /// <summary>Per key: how many profiles have a value (an audience: are members), and when a value last changed (Unix ms).</summary>
    IReadOnlyDictionary<string, EngageSize> EngageSizes();

    /// <summary>A profile's Engage state (its aggregates and values, JSON), or null.</summary>
    string? EngageStateOf(string profileId);

    /// <summary>
    /// Profiles (not merged into another) after <paramref name="after"/> by id, at most <paramref name="limit"/>,
    /// each with its Engage state, its identifiers' types and (when <paramref name="withTraits"/>) its traits:
    /// what a preview evaluates, read a range at a time.
    /// </summary>
    IReadOnlyList<ProfileForEngage> ProfilesForEngage(string after, int limit, bool withTraits);

    /// <summary>How many profiles there are (not merged into another).</summary>
    long ProfileCount();

    /// <summary>Up to <paramref name="count"/> profiles (not merged into another), drawn at random.</summary>
    IReadOnlyList<string> SampleProfiles(int count);

    /// <summary>The changes of computed traits and memberships after <paramref name="afterId"/>, in order.</summary>
    IReadOnlyList<EngageChangeRow> EngageChanges(long afterId, int limit);

    /// <summary>The current values of a computed trait or audience (members; values other than null), with the highest change id they include.</summary>
    EngageSnapshot EngageSnapshotOf(string key);

    /// <summary>The changes of one computed trait or audience after <paramref name="afterId"/>, in order.</summary>
    IReadOnlyList<EngageChangeRow> EngageChangesOf(string key, long afterId, int limit);

    /// <summary>The aggregates Engage has computed or is computing, by key.</summary>
    IReadOnlyDictionary<string, EngageAggregateRow> EngageAggregates();

    /// <summary>Moves with every change of the computed traits and audiences made through the Admin API.</summary>
    long EngageDefinitionsVersion();

    /// <summary>The computed traits and audiences made through the Admin API.</summary>
    IReadOnlyList<StoredEngageDefinition> StoredEngageDefinitions();

    /// <summary>Each definition's fingerprint once every profile has been evaluated with it, by key.</summary>
    IReadOnlyDictionary<string, string> EngageEvaluated();

    /// <summary>Each connection's sync: the last change sent, by connection (<c>key/destination</c>).</summary>
    IReadOnlyDictionary<string, EngageSyncRow> EngageSyncs();

    /// <summary>Records that a connection sent its changes up to <paramref name="lastChangeId"/> (never moving back), and how many messages.</summary>
    void SaveEngageSync(string connection, long lastChangeId, long at, long messages);

    /// <summary>The profile (not merged into another) a text names: a profile id, old ones included, or one of its identifiers as <c>type:value</c>.</summary>
    string? Find(string idOrIdentifier) =>
        idOrIdentifier.Contains(':', StringComparison.Ordinal)
            ? Identifier.TryParse(idOrIdentifier, out var identifier) ? ProfileOf(identifier) : null
            : Survivor(idOrIdentifier);

    IReadOnlyList<Identifier> IdentifiersOf(string profileId) => [.. ExternalIdsOf(profileId).Select(e => e.Identifier)];

    IReadOnlyDictionary<string, string> TraitsOf(string profileId) => TraitRecordsOf(profileId).ToDictionary(t => t.Key, t => t.Json, StringComparer.Ordinal);
}

/// <summary>An identifier on a profile: the source and message it was first seen in, and when (log time, Unix ms).</summary>
internal sealed record StoredIdentifier(Identifier Identifier, string SourceId, long AddedAt, string MessageId);

/// <summary>A trait's JSON value, the source it came from, the event's timestamp and log time (Unix ms).</summary>
internal sealed record StoredTrait(string Key, string Json, string SourceId, long Timestamp, long ReceivedAt);

/// <summary>A profile's times (Unix ms) and the first event it was seen in.</summary>
internal sealed record ProfileMetadata(long CreatedAt, long UpdatedAt, string? FirstMessageId, string? FirstSourceId);

/// <summary>
/// An entry of the profile log: a <c>merge</c> (<see cref="OtherProfileId"/> went into <see cref="ProfileId"/>;
/// <see cref="Identifier"/> linked them, <see cref="Reason"/> lists the event's identifiers as JSON), a
/// <c>drop</c> (<see cref="Identifier"/> left out, <see cref="Reason"/> names the rule) or an <c>unmerge</c>
/// (<see cref="Identifier"/> blocked by <see cref="Actor"/>, <see cref="Reason"/> their note). Merges and
/// drops an unmerge recomputed are <see cref="UndoneBy"/> its id.
/// </summary>
internal sealed record ProfileLogEntry(
    long Id, string Kind, string? ProfileId, string? OtherProfileId, Identifier? Identifier, string? Reason,
    string SourceId, string MessageId, EventPosition Event, long At, long? UndoneBy, string? Actor);

/// <summary>An identifier an unmerge blocked: on which profile, when (Unix ms), by whom and why.</summary>
internal sealed record BlockedIdentifier(Identifier Identifier, string? ProfileId, long At, string Actor, string? Note);

/// <summary>Identity settings saved through the Admin API: their JSON (the <c>identity:</c> section's shape), when (Unix ms) and by whom.</summary>
internal sealed record StoredIdentitySettings(string Json, long UpdatedAt, string Actor);

/// <summary>A profile's value of a computed trait or an audience (JSON), and when it last changed (Unix ms).</summary>
internal sealed record EngageValueRow(string Key, string ProfileId, string Json, long ChangedAt);

/// <summary>A change of a profile's value of a computed trait or an audience (<see cref="Previous"/>: null when it had none), in the order they were made.</summary>
internal sealed record EngageChangeRow(long Id, string Key, string ProfileId, string Json, string? Previous, long At);

/// <summary>
/// An aggregate of events Engage computes: the profiles consumer's cursors when it was first used (JSON,
/// partition to position: the backfill computes the events up to them), how far the backfill has read the
/// log, and when it was done (null: still reading).
/// </summary>
internal sealed record EngageAggregateRow(string Key, string Start, long Progress, long RegisteredAt, long? DoneAt);

/// <summary>A computed trait (<see cref="Kind"/> <c>trait</c>) or audience made through the Admin API, its connections as JSON, when and by whom.</summary>
internal sealed record StoredEngageDefinition(string Key, string Kind, string Name, string Query, bool IncludeAnonymous, string Destinations, long CreatedAt, long UpdatedAt, string Actor);

/// <summary>How many profiles have a value of a definition (an audience: are members), and when one last changed (Unix ms).</summary>
internal sealed record EngageSize(string Key, long Profiles, long? LastChangeAt);

/// <summary>A profile as a preview of a definition evaluates it: its Engage state (JSON or null), its identifiers' types, its traits (JSON by key).</summary>
internal sealed record ProfileForEngage(string Id, string? State, IReadOnlySet<string> Types, IReadOnlyDictionary<string, string> Traits);

/// <summary>A definition's current values, and the last change they include.</summary>
internal sealed record EngageSnapshot(long LastChangeId, IReadOnlyList<EngageValueRow> Values);

/// <summary>A connection's sync: the last change sent, when it started and last sent (Unix ms), how many messages it has sent.</summary>
internal sealed record EngageSyncRow(string Connection, long LastChangeId, long StartedAt, long SyncedAt, long Messages);

/// <summary>An identifier and the profile (not merged into another) that has it.</summary>
internal sealed record IdentifierOwner(Identifier Identifier, string ProfileId);
