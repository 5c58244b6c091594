using System.Text.Json;

namespace Sluice.Spec;

internal static class JsonMerge
{
    /// <summary>Writes <paramref name="primary"/> with the keys of <paramref name="fallback"/> it lacks; objects under the same key merge the same way.</summary>
    public static void WriteDeepMerged(JsonElement primary, JsonElement fallback, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        foreach (var property in primary.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object
                && fallback.TryGetProperty(property.Name, out var under)
                && under.ValueKind == JsonValueKind.Object)
            {
                writer.WritePropertyName(property.Name);
                WriteDeepMerged(property.Value, under, writer);
            }
            else
            {
                JsonStrings.WriteVerbatim(property, writer);
            }
        }

        foreach (var property in fallback.EnumerateObject())
        {
            if (!primary.TryGetProperty(property.Name, out _))
            {
                JsonStrings.WriteVerbatim(property, writer);
            }
        }

        writer.WriteEndObject();
    }
}
