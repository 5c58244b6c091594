using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Spec;

/// <summary>What is wrong in a JSON text that parses: where (a path such as <c>properties.plan</c>), the rule, and a sentence.</summary>
public sealed record JsonInputProblem(string Field, string Rule, string Message);

/// <summary>
/// Finds what a JSON parser lets through but Sluice cannot keep faithfully: bytes that are not
/// UTF-8, <c>\u</c> escapes that are not valid UTF-16 (a lone surrogate), the same name twice in an
/// object, and numbers beyond the range of a double (JavaScript reads them as Infinity). Every
/// such text is refused with the place and the rule, never half-stored. The screen is a fast pass
/// over the whole body; the walk, which names the place, runs only when the screen finds something.
/// </summary>
public static class JsonInputCheck
{
    public const string Utf8Rule = "utf8";
    public const string Utf16Rule = "utf16";
    public const string DuplicateKeyRule = "duplicate_key";
    public const string NumberRangeRule = "number_range";
    public const string NoNulRule = "no_nul";

    /// <summary>
    /// False when the text is certainly free of invalid UTF-8 and lone-surrogate escapes (nearly every
    /// body: the check is two vectorised scans). Duplicate names and huge numbers are found by the parser
    /// and by <see cref="Find"/>, not here.
    /// </summary>
    public static bool NeedsWalk(ReadOnlySpan<byte> json) => !Utf8.IsValid(json) || MayHoldSurrogateEscape(json);

    /// <summary>The first problem in document order, or null. The text must be JSON the reader accepts (depth up to 64).</summary>
    /// <param name="checkNumbers">Also refuse numbers beyond a double's range (true for bodies that are read as numbers, such as settings).</param>
    /// <param name="refuseNul">Also refuse U+0000 in any name or string (configuration, which the store keeps as text: PostgreSQL's text cannot hold it).</param>
    public static JsonInputProblem? Find(ReadOnlySpan<byte> json, bool checkNumbers = true, bool refuseNul = false)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        var scopes = new Stack<Scope>();
        string? pendingName = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var scope = scopes.Peek();
                        if (ReadText(ref reader, Child(scope.Path, RawText(reader.ValueSpan)), "a property name", refuseNul, out var name) is { } badName)
                        {
                            return badName;
                        }

                        if (!(scope.Names ??= new HashSet<string>(StringComparer.Ordinal)).Add(name!))
                        {
                            return new JsonInputProblem(Child(scope.Path, name!), DuplicateKeyRule, $"the name '{name}' appears twice in the same object; give each property once");
                        }

                        pendingName = name;
                        continue;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        scopes.Push(new Scope(Here(scopes, pendingName), reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        scopes.Pop();
                        break;
                    case JsonTokenType.String:
                        if (ReadText(ref reader, Here(scopes, pendingName), "a string", refuseNul, out _) is { } badString)
                        {
                            return badString;
                        }

                        break;
                    case JsonTokenType.Number when checkNumbers:
                        if (!reader.TryGetDouble(out var number) || !double.IsFinite(number))
                        {
                            return new JsonInputProblem(Here(scopes, pendingName), NumberRangeRule, $"the number {Shorten(Encoding.UTF8.GetString(reader.ValueSpan))} is beyond the range of a double (about ±1.8e308)");
                        }

                        break;
                }

                pendingName = null;
                if (scopes.TryPeek(out var container) && container.IsArray && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
                {
                    container.Index++;
                }
            }
        }
        catch (JsonException exception)
        {
            return new JsonInputProblem("", "json", exception.Message);
        }

        return null;
    }

    /// <summary>Reads a name or string, or says why it cannot be read as Unicode text.</summary>
    private static JsonInputProblem? ReadText(ref Utf8JsonReader reader, string path, string what, bool refuseNul, out string? text)
    {
        text = null;
        if (!Utf8.IsValid(reader.ValueSpan))
        {
            return new JsonInputProblem(path, Utf8Rule, $"{what} holds bytes that are not UTF-8; send text as UTF-8");
        }

        try
        {
            text = reader.GetString();
            return refuseNul && text!.Contains('\0') ? new JsonInputProblem(path, NoNulRule, $"{what} holds the character U+0000 (NUL)") : null;
        }
        catch (InvalidOperationException)
        {
            return new JsonInputProblem(path, Utf16Rule, $"{what} holds a \\u escape that is not valid UTF-16 (a lone surrogate, as left by cutting an emoji in half)");
        }
    }

    private static string Here(Stack<Scope> scopes, string? name)
    {
        if (!scopes.TryPeek(out var scope))
        {
            return "";
        }

        if (scope.IsArray)
        {
            var index = scope.Index;
            // The container's own index moves once the value ends; a value that opens a scope is counted when it closes.
            return $"{scope.Path}[{index}]";
        }

        return name is null ? scope.Path : Child(scope.Path, name);
    }

    private static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>A name that cannot be decoded is named by its bytes as sent.</summary>
    private static string RawText(ReadOnlySpan<byte> raw) => Encoding.UTF8.GetString(raw);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "…";

    private static bool MayHoldSurrogateEscape(ReadOnlySpan<byte> json)
    {
        // A false alarm (an escaped backslash followed by "ud800") only costs the walk.
        var rest = json;
        while (rest.IndexOf("\\u"u8) is var at and >= 0 && at + 3 < rest.Length)
        {
            if ((rest[at + 2] | 0x20) == 'd' && (rest[at + 3] | 0x20) is (>= (byte)'8' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f'))
            {
                return true;
            }

            rest = rest[(at + 2)..];
        }

        return false;
    }

    private sealed class Scope(string path, bool isArray)
    {
        public string Path { get; } = path;

        public bool IsArray { get; } = isArray;

        public int Index { get; set; }

        public HashSet<string>? Names { get; set; }
    }
}
