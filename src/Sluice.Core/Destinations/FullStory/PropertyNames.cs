using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Destinations.FullStory;

/// <summary>How an action rewrites property names before FullStory sees them.</summary>
internal sealed record NamingRules(bool CamelCase, bool TypeSuffix)
{
    /// <summary>V2 actions: characters FullStory does not allow are removed, nothing else.</summary>
    public static NamingRules StripOnly { get; } = new(false, false);
}

/// <summary>
/// FullStory's property-name normalisation as Segment's FullStory destination does it: names keep
/// only <c>[A-Za-z0-9_]</c> (after lodash camelCase for V1 identify), V1 names gain a type suffix
/// (<c>_str</c>, <c>_real</c>, <c>_bools</c>…) inferred from the value unless they carry one, and
/// nested objects are rewritten down to five levels. Mixed arrays become objects keyed by index,
/// as they do when JavaScript walks them with <c>Object.entries</c>.
/// </summary>
internal static class PropertyNames
{
    private const int MaxDepth = 5;

    private static readonly HashSet<string> TypeSuffixes = new(StringComparer.Ordinal)
    {
        "str", "bool", "real", "int", "date", "strs", "bools", "reals", "ints", "dates", "objs", "obj",
        // The reference looks suffixes up on a plain JavaScript object, so its prototype's names count too.
        "constructor", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toString", "valueOf", "toLocaleString",
        "__proto__", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__",
    };

    public static JsonObject Normalize(JsonNode? value, NamingRules rules) =>
        value is JsonObject or JsonArray ? Rewrite(value, rules, 1) : [];

    /// <summary>
    /// Writes what <see cref="Normalize"/> returns (with <paramref name="last"/> set in it, as the V2 identify
    /// sets <c>segmentAnonymousId</c>) straight to <paramref name="writer"/>: no tree is built and no value
    /// copied. An object whose names come out the same twice is built as <see cref="Normalize"/> builds it
    /// (the later value takes the first one's place, which a forward writer cannot do).
    /// </summary>
    public static void Write(Utf8JsonWriter writer, JsonNode? value, NamingRules rules, (string Name, string Value)? last = null)
    {
        if (value is not (JsonObject or JsonArray))
        {
            writer.WriteStartObject();
            if (last is { } extra)
            {
                writer.WriteString(extra.Name, extra.Value);
            }

            writer.WriteEndObject();
            return;
        }

        WriteObject(writer, value, rules, 1, last);
    }

    private static void WriteObject(Utf8JsonWriter writer, JsonNode container, NamingRules rules, int depth, (string Name, string Value)? last)
    {
        var entries = new List<(string Name, JsonNode? Value)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in Renamed(container, rules))
        {
            if (!names.Add(name))
            {
                var built = Rewrite(container, rules, depth);
                if (last is { } extra)
                {
                    built[extra.Name] = extra.Value;
                }

                Actions.Mapping.JsValues.Write(writer, built);
                return;
            }

            entries.Add((name, value));
        }

        writer.WriteStartObject();
        foreach (var (name, value) in entries)
        {
            writer.WritePropertyName(name);
            if (last is { } extra && extra.Name == name)
            {
                writer.WriteStringValue(extra.Value);
            }
            else if (InferType(value) == "obj" && depth < MaxDepth)
            {
                WriteObject(writer, value!, rules, depth + 1, null);
            }
            else
            {
                Actions.Mapping.JsValues.Write(writer, value);
            }
        }

        if (last is { } appended && !names.Contains(appended.Name))
        {
            writer.WriteString(appended.Name, appended.Value);
        }

        writer.WriteEndObject();
    }

    private static JsonObject Rewrite(JsonNode container, NamingRules rules, int depth)
    {
        var result = new JsonObject();
        foreach (var (name, value) in Renamed(container, rules))
        {
            // Past the last level an object (or mixed array) is copied as it is.
            result[name] = InferType(value) == "obj" && depth < MaxDepth
                ? Rewrite(value!, rules, depth + 1)
                : value?.DeepClone();
        }

        return result;
    }

    /// <summary>A container's entries under their rewritten names, in the reference's order, as it assigns them.</summary>
    private static IEnumerable<(string Name, JsonNode? Value)> Renamed(JsonNode container, NamingRules rules)
    {
        foreach (var (key, value) in Entries(container))
        {
            var name = TransformName(key, rules.CamelCase);
            if (rules.TypeSuffix)
            {
                name = Suffixed(name, value);
            }

            // The reference assigns to a plain object, where "__proto__" sets the prototype instead of adding a key.
            if (name != "__proto__")
            {
                yield return (name, value);
            }
        }
    }

    /// <summary>JavaScript's <c>Object.entries</c> order: array-index keys ascending, then the rest as inserted.</summary>
    private static IEnumerable<(string Key, JsonNode? Value)> Entries(JsonNode container)
    {
        if (container is JsonArray array)
        {
            return array.Select((item, index) => (index.ToString(System.Globalization.CultureInfo.InvariantCulture), item));
        }

        var entries = container.AsObject().Select(p => (p.Key, p.Value)).ToList();
        var indexes = entries.Where(e => ArrayIndex(e.Key) is not null).OrderBy(e => ArrayIndex(e.Key)).ToList();
        return indexes.Count == 0 ? entries : [.. indexes, .. entries.Where(e => ArrayIndex(e.Key) is null)];
    }

    private static uint? ArrayIndex(string key) =>
        key.Length is > 0 and <= 10 && key.All(char.IsAsciiDigit) && (key == "0" || key[0] != '0')
        && uint.TryParse(key, out var index) && index != uint.MaxValue ? index : null;

    private static string TransformName(string name, bool camelCase)
    {
        var last = name.LastIndexOf('_');
        if (last >= 0 && last < name.Length - 1 && TypeSuffixes.Contains(name[(last + 1)..]))
        {
            return Transform(name[..last], camelCase) + "_" + name[(last + 1)..];
        }

        return Transform(name, camelCase);
    }

    private static string Transform(string name, bool camelCase)
    {
        var text = camelCase ? LodashCamelCase.Convert(name) : name;
        var kept = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                kept.Append(c);
            }
        }

        return kept.ToString();
    }

    private static string Suffixed(string name, JsonNode? value)
    {
        var last = name.LastIndexOf('_');
        if (last >= 0 && TypeSuffixes.Contains(name[(last + 1)..]))
        {
            return name;
        }

        return InferType(value) is { } type and not "obj" ? name + "_" + type : name;
    }

    /// <summary>The first type whose test the value passes, in the reference's order (so every number is <c>real</c>).</summary>
    private static string? InferType(JsonNode? value) => value switch
    {
        null => null,
        JsonObject => "obj",
        JsonArray array when array.All(IsString) => "strs",
        JsonArray array when array.All(IsBoolean) => "bools",
        JsonArray array when array.All(IsNumber) => "reals",
        JsonArray array when array.All(item => item is JsonObject or JsonArray) => "objs",
        JsonArray => "obj",
        _ when IsString(value) => "str",
        _ when IsBoolean(value) => "bool",
        _ when IsNumber(value) => "real",
        _ => null,
    };

    private static bool IsString(JsonNode? node) => Actions.Mapping.JsValues.IsString(node, out _);

    private static bool IsBoolean(JsonNode? node) => Actions.Mapping.JsValues.IsBoolean(node, out _);

    private static bool IsNumber(JsonNode? node) => Actions.Mapping.JsValues.IsNumber(node, out _);
}
