using System.Buffers;
using System.Text;

namespace Sluice.Storage;

/// <summary>
/// Text from outside (a destination's answer, an error's message) as every store can keep it:
/// U+0000, which PostgreSQL's text refuses, and a lone surrogate, which is not text in any encoding,
/// each become U+FFFD. A failed write of an outcome would send the delivery again, forever.
/// </summary>
internal static class StoredText
{
    private static readonly SearchValues<char> NulOrSurrogate = SearchValues.Create("\0" + string.Concat(Enumerable.Range(0xD800, 0x800).Select(c => (char)c)));

    public static string? Keepable(string? text)
    {
        if (text is null || text.AsSpan().IndexOfAny(NulOrSurrogate) < 0)
        {
            return text;
        }

        var kept = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                kept.Append(c).Append(text[++i]);
            }
            else
            {
                kept.Append(c == '\0' || char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }

        return kept.ToString();
    }
}
