using System.Runtime.InteropServices;
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

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Suffixes = TypeSuffixes.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>What FullStory allows in a property name.</summary>
    private const string NameAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";

    private static readonly System.Buffers.SearchValues<char> NameCharacters = System.Buffers.SearchValues.Create(NameAlphabet);

    private static readonly System.Buffers.SearchValues<byte> NameBytes = System.Buffers.SearchValues.Create(Encoding.ASCII.GetBytes(NameAlphabet));

    public static JsonObject Normalize(JsonNode? value, NamingRules rules) =>
        value is JsonObject or JsonArray ? Rewrite(value, rules, 1) : [];

    /// <summary>
    /// Writes what <see cref="Normalize"/> returns for <paramref name="value"/> (with <paramref name="last"/> set
    /// in it, as the V2 identify sets <c>segmentAnonymousId</c>) straight to <paramref name="writer"/> from the
    /// payload's document: no tree is built and no value copied. An object whose names come out the same twice
    /// is built as <see cref="Normalize"/> builds it (the later value takes the first one's place, which a
    /// forward writer cannot do).
    /// </summary>
    public static void Write(Utf8JsonWriter writer, JsonElement value, NamingRules rules, (string Name, string Value)? last = null)
    {
        if (value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
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

    private static void WriteObject(Utf8JsonWriter writer, JsonElement container, NamingRules rules, int depth, (string Name, string Value)? last)
    {
        // Names the rules keep are written from their bytes; the others are rewritten first.
        List<(string Name, JsonElement Value)>? renamed = null;
        if (!IsPlain(container, rules))
        {
            var entries = InEntriesOrder(EntriesOf(container));
            renamed = new List<(string Name, JsonElement Value)>(entries.Count);
            foreach (var (key, value) in entries)
            {
                if (NewName(key, rules, rules.TypeSuffix ? InferType(value) : null) is { } name)
                {
                    renamed.Add((name, value));
                }
            }

            if (HasDuplicate(renamed))
            {
                var built = Rewrite(JsonNode.Parse(container.GetRawText())!, rules, depth);
                if (last is { } extra)
                {
                    built[extra.Name] = extra.Value;
                }

                Actions.Mapping.JsValues.Write(writer, built);
                return;
            }
        }

        writer.WriteStartObject();
        var lastWritten = false;
        if (renamed is null)
        {
            foreach (var property in container.EnumerateObject())
            {
                writer.WritePropertyName(JsonMarshal.GetRawUtf8PropertyName(property));
                lastWritten |= WriteValue(writer, property.Value, last is { } extra && property.NameEquals(extra.Name) ? extra.Value : null, rules, depth);
            }
        }
        else
        {
            foreach (var (name, value) in renamed)
            {
                writer.WritePropertyName(name);
                lastWritten |= WriteValue(writer, value, last is { } extra && extra.Name == name ? extra.Value : null, rules, depth);
            }
        }

        if (last is { } appended && !lastWritten)
        {
            writer.WriteString(appended.Name, appended.Value);
        }

        writer.WriteEndObject();
    }

    /// <summary>A member's value: <paramref name="replacement"/> when given (true then), a nested object rewritten, or the value as it is.</summary>
    private static bool WriteValue(Utf8JsonWriter writer, JsonElement value, string? replacement, NamingRules rules, int depth)
    {
        if (replacement is not null)
        {
            writer.WriteStringValue(replacement);
            return true;
        }

        if (InferType(value) == "obj" && depth < MaxDepth)
        {
            WriteObject(writer, value, rules, depth + 1, null);
        }
        else
        {
            Actions.Mapping.JsonAsItLies.Write(writer, value);
        }

        return false;
    }

    /// <summary>
    /// The common case: an object whose names the rules leave as they are (only <c>[A-Za-z0-9_]</c>, no
    /// suffix to add, none an array index or <c>__proto__</c>), all different, so no name is made as a string.
    /// </summary>
    private static bool IsPlain(JsonElement container, NamingRules rules)
    {
        const int MostCompared = 32;
        if (rules.CamelCase || rules.TypeSuffix || container.ValueKind != JsonValueKind.Object || container.GetPropertyCount() > MostCompared)
        {
            return false;
        }

        var index = 0;
        foreach (var property in container.EnumerateObject())
        {
            var name = JsonMarshal.GetRawUtf8PropertyName(property);
            if (name.IsEmpty || name.ContainsAnyExcept(NameBytes) || char.IsAsciiDigit((char)name[0]) || name.SequenceEqual("__proto__"u8))
            {
                return false;
            }

            var compared = 0;
            foreach (var earlier in container.EnumerateObject())
            {
                if (compared++ == index)
                {
                    break;
                }

                if (JsonMarshal.GetRawUtf8PropertyName(earlier).SequenceEqual(name))
                {
                    return false;
                }
            }

            index++;
        }

        return true;
    }

    private static List<(string Key, JsonElement Value)> EntriesOf(JsonElement container)
    {
        var entries = new List<(string, JsonElement)>(container.ValueKind == JsonValueKind.Array ? container.GetArrayLength() : container.GetPropertyCount());
        if (container.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in container.EnumerateArray())
            {
                entries.Add((index++.ToString(System.Globalization.CultureInfo.InvariantCulture), item));
            }
        }
        else
        {
            foreach (var property in container.EnumerateObject())
            {
                entries.Add((property.Name, property.Value));
            }
        }

        return entries;
    }

    private static bool HasDuplicate(List<(string Name, JsonElement Value)> entries)
    {
        if (entries.Count > 16)
        {
            return new HashSet<string>(entries.Select(e => e.Name), StringComparer.Ordinal).Count != entries.Count;
        }

        for (var i = 1; i < entries.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (entries[i].Name == entries[j].Name)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static JsonObject Rewrite(JsonNode container, NamingRules rules, int depth)
    {
        var result = new JsonObject();
        foreach (var (key, value) in InEntriesOrder(EntriesOf(container)))
        {
            if (NewName(key, rules, rules.TypeSuffix ? InferType(value) : null) is not { } name)
            {
                continue;
            }

            // Past the last level an object (or mixed array) is copied as it is.
            result[name] = InferType(value) == "obj" && depth < MaxDepth
                ? Rewrite(value!, rules, depth + 1)
                : value?.DeepClone();
        }

        return result;
    }

    private static List<(string Key, JsonNode? Value)> EntriesOf(JsonNode container) => container is JsonArray array
        ? [.. array.Select((item, index) => (index.ToString(System.Globalization.CultureInfo.InvariantCulture), item))]
        : [.. container.AsObject().Select(p => (p.Key, p.Value))];

    /// <summary>
    /// A name as the reference assigns it (a type suffix added when <paramref name="type"/> is given), or null
    /// for "__proto__": the reference assigns to a plain object, where that name sets the prototype instead of adding a key.
    /// </summary>
    private static string? NewName(string key, NamingRules rules, string? type)
    {
        var name = TransformName(key, rules.CamelCase);
        if (rules.TypeSuffix)
        {
            name = Suffixed(name, type);
        }

        return name == "__proto__" ? null : name;
    }

    /// <summary>JavaScript's <c>Object.entries</c> order: array-index keys ascending, then the rest as inserted.</summary>
    private static List<(string Key, T Value)> InEntriesOrder<T>(List<(string Key, T Value)> entries)
    {
        if (!entries.Exists(e => ArrayIndex(e.Key) is not null))
        {
            return entries;
        }

        return [.. entries.Where(e => ArrayIndex(e.Key) is not null).OrderBy(e => ArrayIndex(e.Key)), .. entries.Where(e => ArrayIndex(e.Key) is null)];
    }

    private static uint? ArrayIndex(string key) =>
        key.Length is > 0 and <= 10 && char.IsAsciiDigit(key[0]) && key.All(char.IsAsciiDigit) && (key == "0" || key[0] != '0')
        && uint.TryParse(key, out var index) && index != uint.MaxValue ? index : null;

    private static string TransformName(string name, bool camelCase)
    {
        var last = name.LastIndexOf('_');
        if (last >= 0 && last < name.Length - 1 && Suffixes.Contains(name.AsSpan(last + 1)))
        {
            return Transform(name[..last], camelCase) + "_" + name[(last + 1)..];
        }

        return Transform(name, camelCase);
    }

    private static string Transform(string name, bool camelCase)
    {
        var text = camelCase ? LodashCamelCase.Convert(name) : name;
        if (!text.AsSpan().ContainsAnyExcept(NameCharacters))
        {
            return text;
        }

        var kept = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (NameCharacters.Contains(c))
            {
                kept.Append(c);
            }
        }

        return kept.ToString();
    }

    private static string Suffixed(string name, string? type)
    {
        var last = name.LastIndexOf('_');
        if (last >= 0 && Suffixes.Contains(name.AsSpan(last + 1)))
        {
            return name;
        }

        return type is not (null or "obj") ? name + "_" + type : name;
    }

    private static string? InferType(JsonNode? value) =>
        value is null ? null : TypeOf(value.GetValueKind(), value is JsonArray array ? array.Select(item => item?.GetValueKind() ?? JsonValueKind.Null) : []);

    private static string? InferType(JsonElement value) =>
        TypeOf(value.ValueKind, value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Select(item => item.ValueKind) : []);

    /// <summary>The first type whose test the value passes, in the reference's order (so every number is <c>real</c>).</summary>
    private static string? TypeOf(JsonValueKind kind, IEnumerable<JsonValueKind> items) => kind switch
    {
        JsonValueKind.Object => "obj",
        JsonValueKind.Array => ArrayTypeOf(items),
        JsonValueKind.String => "str",
        JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Number => "real",
        _ => null,
    };

    private static string ArrayTypeOf(IEnumerable<JsonValueKind> items)
    {
        bool strings = true, booleans = true, numbers = true, containers = true;
        foreach (var item in items)
        {
            strings &= item == JsonValueKind.String;
            booleans &= item is JsonValueKind.True or JsonValueKind.False;
            numbers &= item == JsonValueKind.Number;
            containers &= item is JsonValueKind.Object or JsonValueKind.Array;
        }

        return strings ? "strs" : booleans ? "bools" : numbers ? "reals" : containers ? "objs" : "obj";
    }
}
