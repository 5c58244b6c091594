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
        DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).UtcDateTime.ToString(WireFormat, CultureInfo.InvariantCulture);

    public static bool TryFormat(long unixMilliseconds, Span<char> destination, out int written) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).UtcDateTime
            .TryFormat(destination, out written, WireFormat, CultureInfo.InvariantCulture);
}
