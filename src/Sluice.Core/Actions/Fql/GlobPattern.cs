using System.Text;

namespace Sluice.Actions.Fql;

/// <summary>
/// A match() pattern: the whole string must match, case-sensitively. <c>*</c> is any run of
/// characters (slashes included), <c>?</c> one character, <c>[abc]</c> / <c>[a-z]</c> one of a set,
/// <c>[!abc]</c> / <c>[^abc]</c> one character outside it, <c>\x</c> the character x itself.
/// A character is a Unicode code point, so <c>?</c> matches an emoji.
/// </summary>
internal sealed class GlobPattern
{
    private readonly Element[] _elements;
    private readonly CharClass[] _classes;

    private GlobPattern(string source, Element[] elements, CharClass[] classes)
    {
        Source = source;
        _elements = elements;
        _classes = classes;
    }

    public string Source { get; }

    /// <summary>True when the pattern is a literal prefix then <c>*</c>, or <c>*</c> then a literal suffix.</summary>
    public bool IsPrefixOrSuffix
    {
        get
        {
            if (_elements.Length < 1)
            {
                return false;
            }

            var stars = 0;
            var others = 0;
            foreach (var element in _elements)
            {
                if (element.Kind == ElementKind.Star)
                {
                    stars++;
                }
                else if (element.Kind != ElementKind.Literal)
                {
                    others++;
                }
            }

            return stars == 1 && others == 0
                && (_elements[0].Kind == ElementKind.Star || _elements[^1].Kind == ElementKind.Star);
        }
    }

    /// <summary>Compiles a pattern; <paramref name="error"/> is set (with an index into the pattern) when it is malformed.</summary>
    public static GlobPattern? TryCreate(string pattern, out (int Index, string Reason) error)
    {
        var elements = new List<Element>();
        var classes = new List<CharClass>();
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    // Consecutive stars mean the same as one.
                    if (elements.Count == 0 || elements[^1].Kind != ElementKind.Star)
                    {
                        elements.Add(new Element(ElementKind.Star, '\0', 0));
                    }

                    i++;
                    break;
                case '?':
                    elements.Add(new Element(ElementKind.Any, '\0', 0));
                    i++;
                    break;
                case '[':
                    var start = i;
                    if (!TryReadClass(pattern, ref i, out var set, out error))
                    {
                        return null;
                    }

                    if (set.Ranges.Length == 0)
                    {
                        error = (start, "'[]' is an empty set; write '\\[' for a literal bracket");
                        return null;
                    }

                    elements.Add(new Element(ElementKind.Class, '\0', classes.Count));
                    classes.Add(set);
                    break;
                case '\\':
                    if (i + 1 >= pattern.Length)
                    {
                        error = (i, "the pattern ends with a lone '\\'; write '\\\\' for a backslash");
                        return null;
                    }

                    elements.Add(new Element(ElementKind.Literal, pattern[i + 1], 0));
                    i += 2;
                    break;
                default:
                    elements.Add(new Element(ElementKind.Literal, c, 0));
                    i++;
                    break;
            }
        }

        error = default;
        return new GlobPattern(pattern, [.. elements], [.. classes]);
    }

    private static bool TryReadClass(string pattern, ref int i, out CharClass set, out (int Index, string Reason) error)
    {
        var open = i++;
        var negated = false;
        if (i < pattern.Length && pattern[i] is '!' or '^')
        {
            negated = true;
            i++;
        }

        var ranges = new List<(int Low, int High)>();
        while (i < pattern.Length && pattern[i] != ']')
        {
            if (!TryReadClassChar(pattern, ref i, out var low, out error))
            {
                set = default;
                return false;
            }

            var high = low;
            if (i + 1 < pattern.Length && pattern[i] == '-' && pattern[i + 1] != ']')
            {
                i++;
                if (!TryReadClassChar(pattern, ref i, out high, out error))
                {
                    set = default;
                    return false;
                }

                if (high < low)
                {
                    error = (open, $"the range {Show(low)}-{Show(high)} is backwards");
                    set = default;
                    return false;
                }
            }

            ranges.Add((low, high));
        }

        if (i >= pattern.Length)
        {
            error = (open, "this '[' has no closing ']'; write '\\[' for a literal bracket");
            set = default;
            return false;
        }

        i++;
        set = new CharClass([.. ranges], negated);
        error = default;
        return true;
    }

    // A lone surrogate is not a character ConvertFromUtf32 can show.
    private static string Show(int codePoint) =>
        codePoint is >= 0xD800 and <= 0xDFFF ? $"U+{codePoint:X4}" : char.ConvertFromUtf32(codePoint);

    private static bool TryReadClassChar(string pattern, ref int i, out int codePoint, out (int Index, string Reason) error)
    {
        if (pattern[i] == '\\')
        {
            if (i + 1 >= pattern.Length)
            {
                error = (i, "the pattern ends with a lone '\\'");
                codePoint = 0;
                return false;
            }

            i++;
        }

        var status = Rune.DecodeFromUtf16(pattern.AsSpan(i), out var rune, out var consumed);
        codePoint = status == System.Buffers.OperationStatus.Done ? rune.Value : pattern[i];
        i += Math.Max(consumed, 1);
        error = default;
        return true;
    }

    /// <summary>
    /// Star backtracking: on a mismatch, the last star takes one more character and the rest is
    /// retried. Stars only ever move forward, so the work is bounded by text × pattern length.
    /// </summary>
    public bool IsMatch(ReadOnlySpan<char> text)
    {
        var e = 0;
        var t = 0;
        var starElement = -1;
        var starText = 0;
        while (t < text.Length)
        {
            if (e < _elements.Length && _elements[e].Kind == ElementKind.Star)
            {
                starElement = e++;
                starText = t;
                continue;
            }

            if (e < _elements.Length && TryMatchOne(_elements[e], text, t, out var width))
            {
                e++;
                t += width;
                continue;
            }

            if (starElement < 0)
            {
                return false;
            }

            e = starElement + 1;
            starText += CharacterWidth(text, starText);
            t = starText;
        }

        while (e < _elements.Length && _elements[e].Kind == ElementKind.Star)
        {
            e++;
        }

        return e == _elements.Length;
    }

    private bool TryMatchOne(Element element, ReadOnlySpan<char> text, int at, out int width)
    {
        if (element.Kind == ElementKind.Literal)
        {
            width = 1;
            return text[at] == element.Char;
        }

        width = CharacterWidth(text, at);
        if (element.Kind == ElementKind.Any)
        {
            return true;
        }

        var codePoint = width == 2 ? char.ConvertToUtf32(text[at], text[at + 1]) : text[at];
        return _classes[element.ClassIndex].Contains(codePoint);
    }

    private static int CharacterWidth(ReadOnlySpan<char> text, int at) =>
        char.IsHighSurrogate(text[at]) && at + 1 < text.Length && char.IsLowSurrogate(text[at + 1]) ? 2 : 1;

    public override string ToString() => Source;

    private enum ElementKind
    {
        Literal,
        Any,
        Star,
        Class,
    }

    private readonly record struct Element(ElementKind Kind, char Char, int ClassIndex);

    private readonly record struct CharClass((int Low, int High)[] Ranges, bool Negated)
    {
        public bool Contains(int codePoint)
        {
            foreach (var (low, high) in Ranges)
            {
                if (codePoint >= low && codePoint <= high)
                {
                    return !Negated;
                }
            }

            return Negated;
        }
    }
}
