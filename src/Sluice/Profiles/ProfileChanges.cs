using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles;

/// <summary>The message a change comes from: its source, messageId and place in the log, and when the log took it (Unix ms).</summary>
internal sealed record EventReference(string SourceId, string MessageId, long Position, int Index, long ReceivedAt);

/// <summary>One change to the graph; a store applies a step's changes in order, in one transaction with its cursors.</summary>
internal abstract record ProfileChange;

/// <summary>A change an event makes, as the profiles consumer resolves it.</summary>
internal abstract record EventChange(EventReference Event) : ProfileChange;

/// <summary>A profile made by <see cref="EventChange.Event"/> (its creation time is that event's log time).</summary>
internal sealed record ProfileCreated(string ProfileId, EventReference Event) : EventChange(Event);

/// <summary>An identifier first seen on <see cref="ProfileId"/>, added at the event's log time.</summary>
internal sealed record IdentifierAdded(string ProfileId, Identifier Identifier, EventReference Event) : EventChange(Event);

/// <summary>
/// <see cref="Merged"/> goes into <see cref="Into"/>: its identifiers and traits move there, and <see cref="Into"/>
/// now counts <see cref="MergesAfter"/> merges. <see cref="Linked"/> are the event's identifiers that were on
/// <see cref="Merged"/>: with the event's others, they are why the two are one person.
/// </summary>
internal sealed record ProfilesMerged(string Into, string Merged, int MergesAfter, IReadOnlyList<Identifier> Linked, IReadOnlyList<Identifier> EventIdentifiers, EventReference Event) : EventChange(Event);

/// <summary>An identifier of the event left out by a rule (<see cref="ProfileId"/>: the profile the event went to, if any).</summary>
internal sealed record IdentifierDropped(string? ProfileId, DroppedIdentifier Dropped, EventReference Event) : EventChange(Event);

/// <summary>The event belongs to the profile (stored as a reference to the log).</summary>
internal sealed record EventAttached(string ProfileId, EventReference Event) : EventChange(Event);

/// <summary>
/// Traits an identify call set: each top-level key's JSON text (null removes the trait). A key takes the
/// value whose (<see cref="Timestamp"/>, log time, messageId) is the latest, whatever order events come in.
/// </summary>
internal sealed record TraitsSet(string ProfileId, IReadOnlyList<KeyValuePair<string, string?>> Traits, long Timestamp, EventReference Event) : EventChange(Event)
{
    /// <summary>Whether a value set at (timestamp, log time, messageId) wins over another's: the rule the store's upsert keeps.</summary>
    public static bool Beats((long Timestamp, long ReceivedAt, string MessageId) value, (long Timestamp, long ReceivedAt, string MessageId) other) =>
        (value.Timestamp, value.ReceivedAt).CompareTo((other.Timestamp, other.ReceivedAt)) is var order
        && (order > 0 || (order == 0 && string.CompareOrdinal(value.MessageId, other.MessageId) > 0));
}

/// <summary>Identity settings saved through the Admin API (<see cref="IdentitySettingsSource"/>): every node resolves with them from the step after.</summary>
internal sealed record SettingsSaved(string Json, string Actor, long At) : ProfileChange;

/// <summary>
/// A recomputation (<see cref="Recompute.ProfileRecomputation"/>) by an unmerge, which blocks
/// <see cref="Blocked"/> for good, or by a change of the identity settings: the profiles <see cref="Survivors"/>
/// (with <see cref="Members"/>, every profile merged into them) are taken apart, to be made again by the
/// changes that follow from <see cref="Events"/>. Or by lifting a block: <see cref="Unblocked"/> is an
/// identifier again. Their merges and drops are marked undone by this
/// recomputation, which is logged (<see cref="Kind"/>) with who asked and why.
/// </summary>
internal sealed record ProfilesRecomputed(
    string Kind,
    Identifier? Blocked,
    Identifier? Unblocked,
    string? ProfileId,
    IReadOnlyList<string> Survivors,
    IReadOnlyList<string> Members,
    IReadOnlyList<EventPosition> Events,
    string Actor,
    string? Note,
    long At) : ProfileChange
{
    /// <summary>The log's kind for an unmerge.</summary>
    public const string Unmerge = "unmerge";

    /// <summary>The log's kind for a change of the identity settings.</summary>
    public const string Settings = "settings";

    /// <summary>The log's kind for lifting an unmerge's block.</summary>
    public const string Unblock = "unblock";
}

/// <summary>
/// A deletion regulation's erasure: the profiles <see cref="Members"/> (a subject's profiles and every
/// profile merged into them) go with their identifiers, traits, event references and log rows, and so do
/// the log's rows and the blocks that name one of <see cref="Identifiers"/> (the subject's own), whatever profile
/// they are on. Nothing is logged: a record of the profile would be a trace of it.
/// </summary>
internal sealed record ProfilesErased(IReadOnlyList<string> Members, IReadOnlyList<Identifier> Identifiers) : ProfileChange
{
    public IEnumerable<(string Sql, object?[] Values)> Statements()
    {
        foreach (var identifier in Identifiers)
        {
            // Drops by their index; an unmerge's row through its block (which names the profile it was on), before the block goes.
            yield return ("DELETE FROM profile_log WHERE kind = 'drop' AND identifier_type = $1 AND identifier_value = $2", [identifier.Type, identifier.Value]);
            yield return ("""
                DELETE FROM profile_log WHERE profile_id = (SELECT profile_id FROM profile_blocked WHERE type = $1 AND value = $2)
                AND identifier_type = $1 AND identifier_value = $2
                """, [identifier.Type, identifier.Value]);
            yield return ("DELETE FROM profile_blocked WHERE type = $1 AND value = $2", [identifier.Type, identifier.Value]);
            yield return ("DELETE FROM profile_identifiers WHERE type = $1 AND value = $2", [identifier.Type, identifier.Value]);
        }

        foreach (var member in Members)
        {
            yield return ("DELETE FROM profile_identifiers WHERE profile_id = $1", [member]);
            yield return ("DELETE FROM profile_traits WHERE profile_id = $1", [member]);
            yield return ("DELETE FROM profile_events WHERE profile_id = $1", [member]);
            yield return ("DELETE FROM profile_log WHERE profile_id = $1", [member]);
            yield return ("DELETE FROM profile_log WHERE other_profile_id = $1", [member]);
            yield return ("DELETE FROM profile_blocked WHERE profile_id = $1", [member]);
            yield return ("DELETE FROM profiles WHERE id = $1", [member]);
        }
    }
}
