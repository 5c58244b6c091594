using System.Globalization;
using System.Text.Json.Nodes;

namespace Sluice.Actions.Mapping;

/// <summary>The result of resolving a mapping: a JSON value, or JavaScript's <c>undefined</c> (nothing).</summary>
public readonly record struct Resolved(bool IsUndefined, JsonNode? Value)
{
    public static Resolved Undefined { get; } = new(true, null);

    public static Resolved Of(JsonNode? value) => new(false, value);
}

/// <summary>
/// mapping-kit's paths: <c>$.properties.products[0].sku</c>, <c>properties['first name']</c>. The
/// walk is JavaScript's <c>cur &amp;&amp; cur[seg]</c>: walking through a falsy value returns it.
/// </summary>
internal static class MappingPath
{
    // Paths are almost always the mapping's own constants, so each is split once; the bound keeps
    // paths built from event data (a resolved @path) from growing the cache.
    private const int MaxCachedPaths = 4096;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, bool), string[]> Cache = new();

    /// <summary>The path's segments (the array is shared: do not change it).</summary>
    public static string[] Split(string path, bool stripRoot)
    {
        if (Cache.TryGetValue((path, stripRoot), out var cached))
        {
            return cached;
        }

        var segments = SplitUncached(path, stripRoot);
        if (Cache.Count < MaxCachedPaths)
        {
            Cache.TryAdd((path, stripRoot), segments);
        }

        return segments;
    }

    private static string[] SplitUncached(string path, bool stripRoot)
    {
        if (stripRoot)
        {
            var at = path.IndexOf("$.", StringComparison.Ordinal);
            if (at >= 0)
            {
                path = path.Remove(at, 2);
            }
        }

        var segments = new List<string>();
        var current = new System.Text.StringBuilder();
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            var next = i + 1 < path.Length ? path[i + 1] : '\0';
            var previous = i > 0 ? path[i - 1] : '\0';
            var splits = c == '.'
                || (c == '[' && (next is '\'' or '"' || char.IsAsciiDigit(next)))
                || (c == ']' && (previous is '\'' or '"' || char.IsAsciiDigit(previous)));
            if (splits)
            {
                Flush();
            }
            else if (c is not ('\'' or '"'))
            {
                current.Append(c);
            }
        }

        Flush();
        return [.. segments];

        void Flush()
        {
            if (current.Length > 0)
            {
                segments.Add(current.ToString());
                current.Clear();
            }
        }
    }

    public static Resolved Walk(JsonNode? root, string[] segments)
    {
        var current = Resolved.Of(root);
        foreach (var segment in segments)
        {
            if (current.IsUndefined || !JsValues.IsTruthy(current.Value))
            {
                return current;
            }

            current = Step(current.Value!, segment);
        }

        return current;
    }

    private static Resolved Step(JsonNode node, string segment)
    {
        switch (node)
        {
            case JsonObject obj:
                return obj.TryGetPropertyValue(segment, out var child) ? Resolved.Of(child) : Resolved.Undefined;
            case JsonArray array:
                if (int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count)
                {
                    return Resolved.Of(array[index]);
                }

                return segment == "length" ? Resolved.Of(JsonValue.Create(array.Count)) : Resolved.Undefined;
            default:
                if (JsValues.IsString(node, out var text))
                {
                    if (int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var at) && at < text.Length)
                    {
                        return Resolved.Of(JsonValue.Create(text[at].ToString()));
                    }

                    return segment == "length" ? Resolved.Of(JsonValue.Create(text.Length)) : Resolved.Undefined;
                }

                return Resolved.Undefined;
        }
    }
}
