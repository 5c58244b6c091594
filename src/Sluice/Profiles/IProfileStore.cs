using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles;

/// <summary>The identity graph as it is stored, read during one step of the profiles consumer.</summary>
internal interface IProfileGraphReader : IProfileQueries
{
    /// <summary>The graph's version when the step began: it moves with every step committed, on any node.</summary>
    long Version { get; }

    /// <summary>The profile that owns the identifier, or null.</summary>
    string? OwnerOf(Identifier identifier);

    /// <summary>A profile that has not been merged into another, with its identifiers.</summary>
    ProfileIdentity Read(string profileId);

    /// <summary>
    /// Whether a read costs a round trip (PostgreSQL): a step then reads all its events' identifiers at once. Where
    /// reads are calls into the process (SQLite), it reads them a few rows at a time, as it resolves them.
    /// </summary>
    bool ReadsCostARoundTrip => false;

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
}

/// <summary>Where profiles live: the identity graph, traits, the profiles' events (as log references) and the log of merges and drops.</summary>
internal interface IProfileStore : IProfileQueries
{
    /// <summary>
    /// One step of the profiles consumer: <paramref name="resolve"/> reads the graph and returns the changes
    /// its events make, which are applied in order, in one transaction with <paramref name="advances"/>
    /// (fenced by their leases) and a new graph version, returned. No other step changes the graph
    /// between the reads and the commit, on this node or another. A step that does not change the graph
    /// (<paramref name="changesGraph"/> false: Engage's sweeps) keeps its version, so the nodes' memory of
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

/// <summary>An identifier and the profile (not merged into another) that has it.</summary>
internal sealed record IdentifierOwner(Identifier Identifier, string ProfileId);
