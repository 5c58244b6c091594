using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;

namespace Sluice.Actions.Mapping;

/// <summary>
/// Escapes strings as JavaScript's <c>JSON.stringify</c> does (ECMA-262, QuoteJSONString): a quote,
/// a backslash and the control characters below U+0020 (<c>\b \t \n \f \r</c> by name, the others as
/// <c>\u00xx</c>); every other character is written as it is, emoji and U+2028 included. A surrogate
/// that is not half of a pair becomes U+FFFD, as with the framework's encoders (JavaScript would write
/// <c>\udxxx</c>, which UTF-8 cannot carry). Segment's runtime writes its requests with it, so this is the
/// wire format; it is also the cheapest: the framework's encoders look up each character beyond ASCII
/// in a table of allowed ranges, which was most of the cost of writing the corpus's text.
/// </summary>
public sealed class StringifyEncoder : JavaScriptEncoder
{
    private static readonly SearchValues<byte> EscapedBytes = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000B\f\r\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\"\\"u8);

    private static readonly SearchValues<char> EscapedOrSurrogateChars = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000B\f\r\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\"\\"
        + string.Concat(Enumerable.Range(0xD800, 0x800).Select(c => (char)c)));

    private StringifyEncoder()
    {
    }

    public static StringifyEncoder Instance { get; } = new();

    // "\u00xx" is the longest escape of one character.
    public override int MaxOutputCharactersPerInputCharacter => 6;

    // Valid UTF-8 holds no surrogate, so only the escaped bytes need looking for (vectorised).
    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text) => utf8Text.IndexOfAny(EscapedBytes);

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        var chars = new ReadOnlySpan<char>(text, textLength);
        var at = 0;
        while (at < chars.Length)
        {
            var next = chars[at..].IndexOfAny(EscapedOrSurrogateChars);
            if (next < 0)
            {
                return -1;
            }

            at += next;
            if (char.IsHighSurrogate(chars[at]) && at + 1 < chars.Length && char.IsLowSurrogate(chars[at + 1]))
            {
                at += 2;
                continue;
            }

            return at;
        }

        return -1;
    }

    public override bool WillEncode(int unicodeScalar) => unicodeScalar is < 0x20 or '"' or '\\' or (>= 0xD800 and <= 0xDFFF);

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        var destination = new Span<char>(buffer, bufferLength);
        ReadOnlySpan<char> escape = unicodeScalar switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\b' => "\\b",
            '\t' => "\\t",
            '\n' => "\\n",
            '\f' => "\\f",
            '\r' => "\\r",
            _ => default,
        };
        if (!escape.IsEmpty)
        {
            return Copied(escape, destination, out numberOfCharactersWritten);
        }

        if (WillEncode(unicodeScalar))
        {
            Span<char> hex = stackalloc char[6];
            "\\u".CopyTo(hex);
            ((ushort)unicodeScalar).TryFormat(hex[2..], out _, "x4");
            return Copied(hex, destination, out numberOfCharactersWritten);
        }

        var rune = new Rune(unicodeScalar);
        if (rune.Utf16SequenceLength > destination.Length)
        {
            numberOfCharactersWritten = 0;
            return false;
        }

        numberOfCharactersWritten = rune.EncodeToUtf16(destination);
        return true;
    }

    private static bool Copied(ReadOnlySpan<char> text, Span<char> destination, out int written)
    {
        written = text.TryCopyTo(destination) ? text.Length : 0;
        return written > 0;
    }
}
