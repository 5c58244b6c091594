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
            yield return ("DELETE FROM engage_values WHERE profile_id = $1", [member]);
            yield return ("DELETE FROM engage_changes WHERE profile_id = $1", [member]);
        }
    }
}
