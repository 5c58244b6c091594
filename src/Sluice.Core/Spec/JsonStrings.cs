using System.Text.Json;

namespace Sluice.Spec;

public static class JsonStrings
{
    /// <summary>The string value, or null when the element is not a string or holds escapes that are not valid UTF-16.</summary>
    public static string? Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
