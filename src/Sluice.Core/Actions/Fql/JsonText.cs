using System.Buffers.Text;
using System.Globalization;
using System.Text.Unicode;

namespace Sluice.Actions.Fql;

/// <summary>
/// Reads a JSON string's raw UTF-8 bytes into UTF-16 in a caller's buffer, so contains() and match()
/// need no string per event. Escapes are decoded here; a lone-surrogate escape (<c>\ud800</c>) stays
/// one char, where <see cref="System.Text.Json.JsonElement.GetString"/> would throw.
/// </summary>
internal static class JsonText
{
    /// <param name="raw">The bytes between the quotes, as the document holds them (valid JSON).</param>
    /// <param name="destination">At least <c>raw.Length</c> chars: no byte and no escape yields more than one char.</param>
    public static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> raw, Span<char> destination)
    {
        var written = 0;
        while (true)
        {
            var backslash = raw.IndexOf((byte)'\\');
            var run = backslash < 0 ? raw : raw[..backslash];
            Utf8.ToUtf16(run, destination[written..], out _, out var chars);
            written += chars;
            if (backslash < 0)
            {
                return destination[..written];
            }

            var escape = raw[backslash + 1];
            if (escape == (byte)'u')
            {
                Utf8Parser.TryParse(raw.Slice(backslash + 2, 4), out ushort unit, out _, 'X');
                destination[written++] = (char)unit;
                raw = raw[(backslash + 6)..];
            }
            else
            {
                destination[written++] = escape switch
                {
                    (byte)'b' => '\b',
                    (byte)'f' => '\f',
                    (byte)'n' => '\n',
                    (byte)'r' => '\r',
                    (byte)'t' => '\t',
                    _ => (char)escape, // \" \\ \/
                };
                raw = raw[(backslash + 2)..];
            }
        }
    }
}
