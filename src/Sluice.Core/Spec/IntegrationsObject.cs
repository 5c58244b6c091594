using System.Text.Json;

namespace Sluice.Spec;

/// <summary>
/// The Integrations object (<c>"integrations": {"All": false, "Mixpanel": true, "Amplitude": {…}}</c>):
/// whether a message may go to a destination. Keys are case-sensitive.
/// </summary>
public static class IntegrationsObject
{
    /// <summary>
    /// The first of <paramref name="destinationKeys"/> present decides (the instance id, its name, the
    /// catalog name, the slug, in the caller's order): a falsy value (false, null, 0, "") disables,
    /// anything else, an options object included, enables. Without a key of the destination,
    /// <c>"All": false</c> disables and everything else enables.
    /// </summary>
    public static bool Allows(JsonElement message, IReadOnlyList<string> destinationKeys)
    {
        if (message.ValueKind != JsonValueKind.Object
            || !message.TryGetProperty("integrations"u8, out var integrations)
            || integrations.ValueKind != JsonValueKind.Object)
        {
            return true;
        }

        foreach (var key in destinationKeys)
        {
            if (integrations.TryGetProperty(key, out var value))
            {
                return IsTruthy(value);
            }
        }

        return !integrations.TryGetProperty("All"u8, out var all) || IsTruthy(all);
    }

    private static bool IsTruthy(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.False or JsonValueKind.Null or JsonValueKind.Undefined => false,
        JsonValueKind.Number => value.GetDouble() != 0,
        JsonValueKind.String => !value.ValueEquals(""u8),
        _ => true,
    };
}
