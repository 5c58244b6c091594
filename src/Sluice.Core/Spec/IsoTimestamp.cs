using System.Globalization;

namespace Sluice.Spec;

/// <summary>Parsing and writing of the ISO-8601 timestamps on Segment messages.</summary>
public static class IsoTimestamp
{
    private const string WireFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

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
        string.Create(WireLength, unixMilliseconds, static (text, milliseconds) => Write(milliseconds, text));

    public static bool TryFormat(long unixMilliseconds, Span<char> destination, out int written)
    {
        if (destination.Length < WireLength)
        {
            written = 0;
            return false;
        }

        Write(unixMilliseconds, destination);
        written = WireLength;
        return true;
    }

    /// <summary>The length of <see cref="WireFormat"/>'s text: years are 0001–9999, as DateTime's.</summary>
    private const int WireLength = 24;

    // Written digit by digit: every stored message gets its receivedAt this way, and the custom format
    // string is parsed again at every call (measured in ingest's CPU profile).
    private static void Write(long unixMilliseconds, Span<char> text)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).UtcDateTime;
        Digits(text[..4], at.Year);
        text[4] = '-';
        Digits(text.Slice(5, 2), at.Month);
        text[7] = '-';
        Digits(text.Slice(8, 2), at.Day);
        text[10] = 'T';
        Digits(text.Slice(11, 2), at.Hour);
        text[13] = ':';
        Digits(text.Slice(14, 2), at.Minute);
        text[16] = ':';
        Digits(text.Slice(17, 2), at.Second);
        text[19] = '.';
        Digits(text.Slice(20, 3), at.Millisecond);
        text[23] = 'Z';
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
