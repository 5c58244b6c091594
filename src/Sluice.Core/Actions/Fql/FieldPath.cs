using System.Text;
using System.Text.Json;

namespace Sluice.Actions.Fql;

/// <summary>
/// A dotted path into a message, resolved per event without allocating: each segment's UTF-8
/// name and array index are computed once, at compile time.
/// </summary>
internal sealed class FieldPath
{
    private readonly Segment[] _segments;

    public FieldPath(string[] names)
    {
        Names = names;
        _segments = new Segment[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            _segments[i] = new Segment(Encoding.UTF8.GetBytes(names[i]), ArrayIndex(names[i]));
        }
    }

    public string[] Names { get; }

    /// <summary>
    /// The value at the path, or false when any step is missing. A numeric segment indexes an
    /// array and names a key of an object; strings, numbers and the like have no children.
    /// </summary>
    public bool TryResolve(JsonElement message, out JsonElement value)
    {
        var current = message;
        for (var i = 0; i < _segments.Length; i++)
        {
            var segment = _segments[i];
            switch (current.ValueKind)
            {
                case JsonValueKind.Object:
                    if (!current.TryGetProperty(segment.Utf8Name, out current))
                    {
                        value = default;
                        return false;
                    }

                    break;
                case JsonValueKind.Array when segment.Index >= 0 && segment.Index < current.GetArrayLength():
                    current = current[segment.Index];
                    break;
                default:
                    value = default;
                    return false;
            }
        }

        value = current;
        return true;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        for (var i = 0; i < Names.Length; i++)
        {
            if (i > 0)
            {
                text.Append('.');
            }

            AppendEscaped(text, Names[i], first: i == 0);
        }

        return text.ToString();
    }

    // Only the canonical spelling of a non-negative integer indexes an array ("01" does not, as in
    // JavaScript, where arr["01"] is undefined).
    private static int ArrayIndex(string name)
    {
        if (name.Length is 0 or > 9 || (name.Length > 1 && name[0] == '0'))
        {
            return -1;
        }

        var index = 0;
        foreach (var c in name)
        {
            if (!char.IsAsciiDigit(c))
            {
                return -1;
            }

            index = (index * 10) + (c - '0');
        }

        return index;
    }

    /// <summary>Writes a name so that the lexer reads it back as the same segment.</summary>
    internal static void AppendEscaped(StringBuilder text, string name, bool first)
    {
        var keyword = first && name is "and" or "or" or "not" or "true" or "false" or "null";
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var plain = char.IsAsciiLetter(c) || c == '_'
                || ((i > 0 || !first) && (char.IsAsciiDigit(c) || c == '-'))
                || (c >= 0x80 && !char.IsWhiteSpace(c));
            if (!plain || (keyword && i == 0))
            {
                text.Append('\\');
            }

            text.Append(c);
        }
    }

    private readonly record struct Segment(byte[] Utf8Name, int Index);
}
