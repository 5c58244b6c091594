using System.Text;

namespace Sluice.Actions.Kit;

/// <summary>
/// JavaScript's <c>encodeURIComponent</c> and <c>decodeURIComponent</c>, which Segment's destinations
/// use to put ids into URLs. .NET's <c>Uri.EscapeDataString</c> also escapes <c>! * ' ( )</c>, so a
/// path built with it would differ from the one the service has always seen.
/// </summary>
public static class JsUri
{
    public static string EncodeComponent(string text)
    {
        var result = new StringBuilder(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '!' or '~' or '*' or '\'' or '(' or ')')
            {
                result.Append(c);
                continue;
            }

            int codePoint;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                codePoint = char.ConvertToUtf32(c, text[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                throw new ArgumentException("URI malformed: a lone surrogate cannot be encoded", nameof(text));
            }
            else
            {
                codePoint = c;
            }

            var length = new Rune(codePoint).EncodeToUtf8(utf8);
            foreach (var b in utf8[..length])
            {
                result.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return result.ToString();
    }

    /// <summary>Decodes <c>%XX</c> sequences as UTF-8; false where JavaScript would throw <c>URIError</c>.</summary>
    public static bool TryDecodeComponent(string text, out string decoded)
    {
        decoded = text;
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            return true;
        }

        var bytes = new List<byte>(text.Length);
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                if (!Flush())
                {
                    return false;
                }

                result.Append(text[i]);
                continue;
            }

            if (i + 2 >= text.Length || !byte.TryParse(text.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b))
            {
                return false;
            }

            bytes.Add(b);
            i += 2;
        }

        if (!Flush())
        {
            return false;
        }

        decoded = result.ToString();
        return true;

        bool Flush()
        {
            if (bytes.Count == 0)
            {
                return true;
            }

            try
            {
                result.Append(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. bytes]));
            }
            catch (DecoderFallbackException)
            {
                return false;
            }

            bytes.Clear();
            return true;
        }
    }
}
