using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Actions.Mapping;

/// <summary>
/// The JavaScript value rules mapping-kit relies on, over System.Text.Json nodes: <c>String(x)</c>,
/// truthiness, loose equality with <c>""</c>, <c>JSON.stringify</c>. Segment's runtime is JavaScript,
/// and its answers are the contract.
/// </summary>
internal static class JsValues
{
    private static readonly JsonSerializerOptions Stringify = new() { Encoder = StringifyEncoder.Instance, WriteIndented = false };

    /// <summary>A writer's options that write what <see cref="JsonStringify"/> writes: compact, non-ASCII kept as is.</summary>
    public static JsonWriterOptions StringifyWriter { get; } = new() { Encoder = StringifyEncoder.Instance, Indented = false };

    /// <summary>Writes a value as <see cref="JsonStringify"/> would (null as <c>null</c>), without a copy.</summary>
    public static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        if (node is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            node.WriteTo(writer, Stringify);
        }
    }

    public static bool IsString(JsonNode? node, out string text)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            text = value.GetValue<string>();
            return true;
        }

        text = "";
        return false;
    }

    public static bool IsNumber(JsonNode? node, out double number)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
        {
            // Values parsed from JSON convert to double; values made from a CLR number (YAML settings, counts) only to their own type.
            number = value.TryGetValue<double>(out var d) ? d
                : value.TryGetValue<long>(out var l) ? l
                : value.TryGetValue<int>(out var i) ? i
                : double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
            return true;
        }

        number = 0;
        return false;
    }

    public static bool IsBoolean(JsonNode? node, out bool boolean)
    {
        if (node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            boolean = value.GetValue<bool>();
            return true;
        }

        boolean = false;
        return false;
    }

    /// <summary>JavaScript truthiness of a JSON value (an absent value is handled by the caller).</summary>
    public static bool IsTruthy(JsonNode? node) => node switch
    {
        null => false,
        JsonObject or JsonArray => true,
        _ when IsString(node, out var s) => s.Length > 0,
        _ when IsNumber(node, out var n) => n != 0 && !double.IsNaN(n),
        _ when IsBoolean(node, out var b) => b,
        _ => true,
    };

    /// <summary><c>x == ""</c> with JavaScript's loose equality.</summary>
    public static bool LooselyEqualsEmptyString(JsonNode? node) => node switch
    {
        null => false,
        JsonObject => false,
        JsonArray array => ToJsString(array).Length == 0,
        _ when IsString(node, out var s) => s.Length == 0,
        _ when IsNumber(node, out var n) => n == 0,
        _ when IsBoolean(node, out var b) => !b,
        _ => false,
    };

    /// <summary>JavaScript's <c>String(x)</c>: null → "null", arrays joined with commas (null elements empty), objects "[object Object]".</summary>
    public static string ToJsString(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return "null";
            case JsonObject:
                return "[object Object]";
            case JsonArray array:
                var joined = new StringBuilder();
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        joined.Append(',');
                    }

                    if (array[i] is not null)
                    {
                        joined.Append(ToJsString(array[i]));
                    }
                }

                return joined.ToString();
        }

        if (IsString(node, out var s))
        {
            return s;
        }

        if (IsNumber(node, out var n))
        {
            return NumberToString(n);
        }

        return IsBoolean(node, out var b) ? (b ? "true" : "false") : node.ToJsonString();
    }

    /// <summary><c>String(x)</c> of a string, number or boolean of a document; null for anything else.</summary>
    public static string? PrimitiveToJsString(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number when element.TryGetDouble(out var number) => NumberToString(number),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    /// <summary>JavaScript's Number.prototype.toString for finite numbers: shortest round-trip digits, exponent past 1e21.</summary>
    public static string NumberToString(double number)
    {
        if (double.IsNaN(number))
        {
            return "NaN";
        }

        if (double.IsInfinity(number))
        {
            return number > 0 ? "Infinity" : "-Infinity";
        }

        if (number == 0)
        {
            return "0";
        }

        var abs = Math.Abs(number);
        if (abs is >= 1e-6 and < 1e21)
        {
            var text = number.ToString("R", CultureInfo.InvariantCulture);
            if (!text.Contains('E', StringComparison.Ordinal))
            {
                return text;
            }

            return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var exact)
                ? exact.ToString(CultureInfo.InvariantCulture)
                : text;
        }

        var exponential = number.ToString("R", CultureInfo.InvariantCulture);
        var at = exponential.IndexOf('E', StringComparison.Ordinal);
        if (at < 0)
        {
            return exponential;
        }

        var mantissa = exponential[..at];
        var exponent = int.Parse(exponential[(at + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return $"{mantissa}e{(exponent >= 0 ? "+" : "-")}{Math.Abs(exponent)}";
    }

    /// <summary>Compact UTF-8 JSON with non-ASCII kept as is (escaping it is most of the cost of writing text).</summary>
    public static byte[] ToUtf8Json(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, Stringify);

    /// <summary>JavaScript's <c>JSON.stringify</c> of a JSON value (compact; non-ASCII kept as is).</summary>
    public static string JsonStringify(JsonNode? node) => node is null ? "null" : node.ToJsonString(Stringify);

    /// <summary>What JavaScript's <c>typeof</c>-style error messages call a value.</summary>
    public static string TypeName(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        _ when IsString(node, out _) => "string",
        _ when IsNumber(node, out _) => "number",
        _ when IsBoolean(node, out _) => "boolean",
        _ => "unknown",
    };

    /// <summary>JavaScript's <c>toUpperCase</c>: full case mapping, so "ß" becomes "SS" (the invariant culture maps it to itself).</summary>
    public static string ToUpper(string text)
    {
        var upper = text.ToUpperInvariant();
        if (upper.AsSpan().IndexOfAny("ßﬀﬁﬂﬃﬄﬅﬆŉ") < 0)
        {
            return upper;
        }

        return upper.Replace("ß", "SS", StringComparison.Ordinal)
            .Replace("ﬀ", "FF", StringComparison.Ordinal)
            .Replace("ﬁ", "FI", StringComparison.Ordinal)
            .Replace("ﬂ", "FL", StringComparison.Ordinal)
            .Replace("ﬃ", "FFI", StringComparison.Ordinal)
            .Replace("ﬄ", "FFL", StringComparison.Ordinal)
            .Replace("ﬅ", "ST", StringComparison.Ordinal)
            .Replace("ﬆ", "ST", StringComparison.Ordinal)
            .Replace("ŉ", "ʼN", StringComparison.Ordinal);
    }
}
