using System.Globalization;

namespace Sluice.Spec;

/// <summary>Parsing and writing of the ISO-8601 timestamps on Segment messages.</summary>
public static class IsoTimestamp
{
    /// <summary>
    /// Parses as leniently as JavaScript's <c>Date.parse</c> does for ISO-like strings (any fraction
    /// length, <c>Z</c> or an offset, single-digit months as in Segment's own docs); a value without
    /// an offset is UTC. Returns Unix milliseconds, truncated.
    /// </summary>
    public static bool TryParseMilliseconds(string text, out long unixMilliseconds)
    {
        if (text.Length is > 0 and < 64
            && char.IsAsciiDigit(text[0])
            && DateTimeOffset.TryParse(
                text,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowWhiteSpaces,
                out var parsed))
        {
            unixMilliseconds = parsed.ToUnixTimeMilliseconds();
            return true;
        }

        unixMilliseconds = 0;
        return false;
    }

    /// <summary>UTC, exactly three fractional digits, <c>Z</c>: <c>2026-11-23T10:20:30.123Z</c>.</summary>
    public static string Format(long unixMilliseconds) =>
        string.Create(WireShape.Length, unixMilliseconds, static (text, milliseconds) => Write(milliseconds, text));

    public static bool TryFormat(long unixMilliseconds, Span<char> destination, out int written)
    {
        if (destination.Length < WireShape.Length)
        {
            written = 0;
            return false;
        }

        Write(unixMilliseconds, destination);
        written = WireShape.Length;
        return true;
    }

    /// <summary>The text's shape; years are 0001–9999, as DateTime's.</summary>
    private const string WireShape = "0000-00-00T00:00:00.000Z";

    // Written digit by digit into the shape: every stored message gets its receivedAt this way, and a custom
    // format string is parsed again at every call (seen in ingest's CPU profile).
    private static void Write(long unixMilliseconds, Span<char> text)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).UtcDateTime;
        WireShape.CopyTo(text);
        Digits(text[..4], at.Year);
        Digits(text.Slice(5, 2), at.Month);
        Digits(text.Slice(8, 2), at.Day);
        Digits(text.Slice(11, 2), at.Hour);
        Digits(text.Slice(14, 2), at.Minute);
        Digits(text.Slice(17, 2), at.Second);
        Digits(text.Slice(20, 3), at.Millisecond);
    }

    private static void Digits(Span<char> text, int value)
    {
        for (var i = text.Length - 1; i >= 0; i--)
        {
            text[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }
}
