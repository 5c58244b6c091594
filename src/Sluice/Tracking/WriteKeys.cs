using System.Text;

namespace Sluice.Tracking;

/// <summary>Reads the write key from <c>Authorization: Basic base64(writeKey:)</c>.</summary>
internal static class WriteKeys
{
    /// <summary>
    /// True for a well-formed Basic header. Without a colon the whole decoded text is the key
    /// (Segment accepts that form for backward compatibility).
    /// </summary>
    public static bool TryReadBasic(string header, out string writeKey)
    {
        writeKey = "";
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var encoded = header.AsSpan(6).Trim();
        Span<byte> decoded = encoded.Length <= 512 ? stackalloc byte[384] : new byte[encoded.Length];
        if (!Convert.TryFromBase64Chars(encoded, decoded, out var length))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(decoded[..length]);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        writeKey = colon >= 0 ? text[..colon] : text;
        return writeKey.Length > 0;
    }
}
