using System.Globalization;
using System.Text.Json;
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

    // Events routed from the store are read through their parsed document, not through nodes:
    // walking a document allocates nothing, and what it finds is wrapped without a copy. While a
    // transform runs on this thread, this root node stands for that document.
    [ThreadStatic]
    private static (JsonNode Root, JsonElement Document)? t_documentRoot;

    /// <summary>Runs <paramref name="transform"/> with <paramref name="root"/> read through <paramref name="document"/>.</summary>
    internal static T WithDocument<T>(JsonNode root, JsonElement document, Func<JsonNode, T> transform)
    {
        var outer = t_documentRoot;
        t_documentRoot = (root, document);
        try
        {
            return transform(root);
        }
        finally
        {
            t_documentRoot = outer;
        }
    }

    public static Resolved Walk(JsonNode? root, string[] segments) => Walk(root, segments, out _);

    /// <param name="unshared">True when the value found belongs to no tree (it was wrapped from the document), so it needs no copy.</param>
    public static Resolved Walk(JsonNode? root, string[] segments, out bool unshared)
    {
        if (root is not null && t_documentRoot is { } document && ReferenceEquals(document.Root, root))
        {
            unshared = true;
            return WalkElement(document.Document, segments);
        }

        unshared = false;
        return WalkNodes(root, segments);
    }

    /// <summary>The same walk as <see cref="WalkNodes"/>, on the document.</summary>
    private static Resolved WalkElement(JsonElement root, string[] segments) => WalkDocument(root, segments, out var found, out var at) switch
    {
        DocumentWalk.Found => Resolved.Of(Wrap(found)),
        DocumentWalk.Undefined => Resolved.Undefined,
        // Lengths and characters of strings: rare, so the node walk does the rest.
        _ => WalkNodes(Wrap(found), segments[at..]),
    };

    /// <summary>
    /// The walk on a document: what it found, or undefined, or <see cref="DocumentWalk.Stuck"/> at a step
    /// into a string or a number (segment <paramref name="at"/> of <paramref name="found"/>), which the node walk answers.
    /// </summary>
    internal static DocumentWalk WalkDocument(JsonElement root, string[] segments, out JsonElement found, out int at)
    {
        found = root;
        for (at = 0; at < segments.Length; at++)
        {
            if (!IsTruthy(found))
            {
                return DocumentWalk.Found;
            }

            switch (found.ValueKind)
            {
                case JsonValueKind.Object:
                    if (!found.TryGetProperty(segments[at], out found))
                    {
                        return DocumentWalk.Undefined;
                    }

                    break;
                case JsonValueKind.Array when int.TryParse(segments[at], NumberStyles.None, CultureInfo.InvariantCulture, out var index):
                    if (index >= found.GetArrayLength())
                    {
                        return DocumentWalk.Undefined;
                    }

                    found = found[index];
                    break;
                default:
                    return DocumentWalk.Stuck;
            }
        }

        return DocumentWalk.Found;
    }

    /// <summary>JavaScript truthiness of a value of a document.</summary>
    internal static bool IsTruthy(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.False or JsonValueKind.Undefined => false,
        JsonValueKind.Number => element.GetDouble() is var n && n != 0 && !double.IsNaN(n),
        JsonValueKind.String => !element.ValueEquals(""u8),
        _ => true,
    };

    /// <summary>A value of a document as a node, wrapped, not copied (null for null or nothing).</summary>
    internal static JsonNode? Wrap(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(element),
        JsonValueKind.Array => JsonArray.Create(element),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => JsonValue.Create(element),
    };

    private static Resolved WalkNodes(JsonNode? root, string[] segments)
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

internal enum DocumentWalk
{
    Found,
    Undefined,
    Stuck,
}
