using System.Runtime.InteropServices;
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

    /// <summary>
    /// Copies a property as the client sent it: the value's bytes verbatim (faster than re-encoding,
    /// and escapes that are not valid UTF-16, such as a lone surrogate left by a cut emoji, survive).
    /// </summary>
    public static void WriteVerbatim(JsonProperty property, Utf8JsonWriter writer)
    {
        var name = JsonMarshal.GetRawUtf8PropertyName(property);
        if (name.IndexOf((byte)'\\') < 0)
        {
            writer.WritePropertyName(name);
        }
        else
        {
            writer.WritePropertyName(property.Name);
        }

        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(property.Value), skipInputValidation: true);
    }
}
