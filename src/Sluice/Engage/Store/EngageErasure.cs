using Sluice.Profiles;

namespace Sluice.Engage.Store;

/// <summary>
/// A deletion regulation's part in Engage: the erased profiles' aggregates, values and changes go, in the
/// profiles step that erases them. No exit is recorded or synced: a message about an erased user would
/// send the destinations the data being deleted there.
/// </summary>
internal sealed record EngageValuesErased(IReadOnlyList<string> Members) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements()
    {
        foreach (var member in Members)
        {
            yield return ("DELETE FROM engage_state WHERE profile_id = $1", [member]);
            yield return (EngageChange.DeleteValuesOfProfile, [member]);
            // The change log has no index by profile (it would be written for every change): an erasure reads it
            // whole, which its pruning keeps small (EngageSync.ChangesKept a definition, and what is not sent yet).
            yield return ("DELETE FROM engage_changes WHERE profile_id = $1", [member]);
        }
    }
}
