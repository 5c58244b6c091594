using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sluice.Actions.Fql;
using Sluice.Actions.Mapping;

namespace Sluice.Actions.Kit;

/// <summary>
/// The date handling of Segment's runtime, which runs on dayjs: <c>dayjs.utc(value)</c> as actions
/// read their <c>datetime</c> fields, and the "date-like" check their payloads pass first. Its quirks
/// are kept because they decide what a destination receives: a date-time without an offset is
/// UTC, the fraction is read as an integer of milliseconds (<c>.1</c> is 1 ms), out-of-range parts
/// roll over (<c>2024-13-45</c> is 14 February 2025), and a two-digit year means 19xx.
/// </summary>
public static partial class Dayjs
{
    private static readonly System.Buffers.SearchValues<char> NumberCharacters = System.Buffers.SearchValues.Create("0123456789+-.eInfityNa");

    /// <summary>JavaScript dates span ±100,000,000 days around 1970.</summary>
    private const double MaxTime = 8.64e15;

    [GeneratedRegex(@"^([0-9]{4})[-/]?([0-9]{1,2})?[-/]?([0-9]{0,2})[Tt\s]*([0-9]{1,2})?:?([0-9]{1,2})?:?([0-9]{1,2})?[.:]?([0-9]+)?\z")]
    internal static partial Regex DayjsPattern();

    // ECMAScript's date-time string format (what Date.parse must accept); other text goes to a lenient parse.
    [GeneratedRegex(@"^([+-][0-9]{6}|[0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?(?:[Tt]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?([Zz]|[+-][0-9]{2}:[0-9]{2})?)?\z")]
    private static partial Regex EcmaPattern();

    /// <summary><c>dayjs.utc(value)</c>: Unix milliseconds, or false when dayjs calls the date invalid.</summary>
    public static bool TryParseUtc(JsonNode? value, out double unixMilliseconds)
    {
        unixMilliseconds = double.NaN;
        if (JsValues.IsNumber(value, out var number))
        {
            return Clip(number, out unixMilliseconds);
        }

        return JsValues.IsString(value, out var text) && TryParseUtc(text, out unixMilliseconds);
    }

    public static bool TryParseUtc(string text, out double unixMilliseconds)
    {
        if (LocalFields(text) is { } local)
        {
            return Clip(DateUtc(local.Year, local.Month - 1, local.Day, local.Hour, local.Minute, local.Second, local.Millisecond), out unixMilliseconds);
        }

        if (!text.EndsWith('Z') && !text.EndsWith('z') && MayMatchDayjsPattern(text) && DayjsPattern().Match(text) is { Success: true } match)
        {
            var month = match.Groups[2].Success ? double.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture) - 1 : 0;
            var fraction = match.Groups[7].Success ? match.Groups[7].ValueSpan[..Math.Min(3, match.Groups[7].Length)] : "0".AsSpan();
            return Clip(
                DateUtc(
                    Number(match.Groups[1]),
                    month,
                    match.Groups[3].Length > 0 ? Number(match.Groups[3]) : 1,
                    Number(match.Groups[4]),
                    Number(match.Groups[5]),
                    Number(match.Groups[6]),
                    double.Parse(fraction, CultureInfo.InvariantCulture)),
                out unixMilliseconds);
        }

        return TryParseDate(text, out unixMilliseconds);

        static double Number(Group group) => group.Success && group.Length > 0 ? double.Parse(group.ValueSpan, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>
    /// The reference's "date-like" format check on a string: a canonical number is read as epoch
    /// seconds (so any such number passes), anything else as dayjs parses it.
    /// </summary>
    public static bool IsDateLike(string text)
    {
        // Only these characters make up a canonical number ("-1.5e+21", "Infinity", "NaN"): other text is no number.
        if (!text.AsSpan().ContainsAnyExcept(NumberCharacters))
        {
            var number = JsNumber.Parse(text);
            if (JsValues.NumberToString(number) == text)
            {
                return Clip(Math.Truncate(number * 1000), out _);
            }
        }

        return TryParseUtc(text, out _);
    }

    /// <summary>
    /// Whether the text is what <c>toISOString()</c> writes for the date it names
    /// (<c>2024-03-01T08:20:30.123Z</c>, a day its month has), so that <c>dayjs.utc(text).toISOString()</c>
    /// is the text itself: nearly every stored timestamp, answered without a parse.
    /// </summary>
    public static bool IsOwnIsoString(string text) =>
        text.Length == 24 && text[^1] == 'Z' && IsoFields(text) is { } date
        && date.Month is >= 1 and <= 12 && date.Day >= 1 && date.Day <= DaysInMonth(date.Year, date.Month)
        && date.Hour < 24 && date.Minute < 60 && date.Second < 60;

    private static double DaysInMonth(double year, double month) => month switch
    {
        2 => year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    /// <summary><c>toISOString()</c>: <c>2024-03-01T08:20:30.123Z</c>, with a six-digit signed year outside 0–9999.</summary>
    public static string ToIsoString(double unixMilliseconds)
    {
        var ms = (long)unixMilliseconds;
        var days = FloorDiv(ms, 86_400_000);
        var timeOfDay = ms - (days * 86_400_000);
        var (year, month, day) = CivilFromDays(days);
        var yearText = year is >= 0 and <= 9999
            ? year.ToString("D4", CultureInfo.InvariantCulture)
            : (year < 0 ? "-" : "+") + Math.Abs(year).ToString("D6", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{yearText}-{month:D2}-{day:D2}T{timeOfDay / 3_600_000:D2}:{timeOfDay / 60_000 % 60:D2}:{timeOfDay / 1000 % 60:D2}.{timeOfDay % 1000:D3}Z");
    }

    /// <summary>JavaScript's <c>new Date(text)</c> in a UTC process: the ECMAScript format, else a lenient parse (RFC 1123 and the like).</summary>
    private static bool TryParseDate(string text, out double unixMilliseconds)
    {
        if ((IsoFields(text) ?? EcmaFields(text)) is { } fields)
        {
            var (year, month, day, hour, minute, second, millisecond, zoneText, negativeZeroYear) = fields;
            // V8 takes any day up to 31 and rolls it over (30 February is 1 March).
            if (month is < 1 or > 12 || day is < 1 or > 31 || hour > 24 || minute > 59 || second > 59
                || (hour == 24 && (minute > 0 || second > 0 || millisecond > 0)) || negativeZeroYear)
            {
                unixMilliseconds = double.NaN;
                return false;
            }

            var offset = 0.0;
            if (zoneText is { Length: 6 } zone)
            {
                var hours = double.Parse(zone[1..3], CultureInfo.InvariantCulture);
                var minutes = double.Parse(zone[4..6], CultureInfo.InvariantCulture);
                if (hours > 23 || minutes > 59)
                {
                    unixMilliseconds = double.NaN;
                    return false;
                }

                offset = (zone[0] == '-' ? -1 : 1) * ((hours * 60) + minutes) * 60_000;
            }

            return Clip(MakeTime(year, month - 1, day, hour, minute, second, millisecond) - offset, out unixMilliseconds);
        }

        if (text.Length is > 0 and < 128 && DateTimeOffset.TryParse(
                text,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowWhiteSpaces,
                out var parsed))
        {
            unixMilliseconds = parsed.ToUnixTimeMilliseconds();
            return true;
        }

        unixMilliseconds = double.NaN;
        return false;
    }

    /// <summary>The fields of an ECMAScript date-time string, as its pattern reads them.</summary>
    private static DateFields? EcmaFields(string text)
    {
        if (EcmaPattern().Match(text) is not { Success: true } iso)
        {
            return null;
        }

        return new DateFields(
            double.Parse(iso.Groups[1].ValueSpan, CultureInfo.InvariantCulture),
            iso.Groups[2].Success ? double.Parse(iso.Groups[2].ValueSpan, CultureInfo.InvariantCulture) : 1,
            iso.Groups[3].Success ? double.Parse(iso.Groups[3].ValueSpan, CultureInfo.InvariantCulture) : 1,
            iso.Groups[4].Success ? double.Parse(iso.Groups[4].ValueSpan, CultureInfo.InvariantCulture) : 0,
            iso.Groups[5].Success ? double.Parse(iso.Groups[5].ValueSpan, CultureInfo.InvariantCulture) : 0,
            iso.Groups[6].Success ? double.Parse(iso.Groups[6].ValueSpan, CultureInfo.InvariantCulture) : 0,
            iso.Groups[7].Success ? double.Parse(iso.Groups[7].Value.PadRight(3, '0')[..3], CultureInfo.InvariantCulture) : 0,
            iso.Groups[8].Success ? iso.Groups[8].Value : null,
            iso.Groups[1].Value == "-000000");
    }

    /// <summary>
    /// The fields of the commonest ECMAScript shapes (<c>2024-03-01T08:20:30Z</c>, with a fraction of
    /// any length, or an offset such as <c>-05:00</c> instead of the <c>Z</c>), which nearly every stored
    /// timestamp has, read without the pattern: the same fields the pattern reads, so the same rules follow.
    /// </summary>
    private static DateFields? IsoFields(string text)
    {
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':')
        {
            return null;
        }

        var zoneAt = text[^1] == 'Z' ? text.Length - 1 : text.Length - 6;
        if (zoneAt < 19 || (zoneAt > 19 && (text[19] != '.' || zoneAt == 20)))
        {
            return null;
        }

        string zone;
        if (zoneAt == text.Length - 1)
        {
            zone = "Z";
        }
        else if (text[zoneAt] is '+' or '-' && text[zoneAt + 3] == ':' && Digits(text, zoneAt + 1, 2) >= 0 && Digits(text, zoneAt + 4, 2) >= 0)
        {
            zone = text[zoneAt..];
        }
        else
        {
            return null;
        }

        var year = Digits(text, 0, 4);
        var month = Digits(text, 5, 2);
        var day = Digits(text, 8, 2);
        var hour = Digits(text, 11, 2);
        var minute = Digits(text, 14, 2);
        var second = Digits(text, 17, 2);
        if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || (zoneAt > 19 && text.AsSpan(20, zoneAt - 20).ContainsAnyExceptInRange('0', '9')))
        {
            return null;
        }

        // The pattern's fraction is read to three digits, padded with zeros (".1" is 100 ms, ".123456" 123 ms).
        var millisecond = zoneAt == 19 ? 0 : Digits(text, 20, Math.Min(3, zoneAt - 20)) * (zoneAt - 20) switch { 1 => 100, 2 => 10, _ => 1 };
        return new DateFields(year, month, day, hour, minute, second, millisecond, zone, false);
    }

    /// <summary>
    /// False for text dayjs's pattern cannot match, decided without running it (failing, it backtracks
    /// through every split of the digits): the pattern takes no <c>+</c>, no letter but <c>T</c>, and at
    /// most two <c>-</c> or <c>/</c> (the date's separators); an offset such as <c>-05:00</c> is a third.
    /// </summary>
    internal static bool MayMatchDayjsPattern(string text)
    {
        var separators = 0;
        foreach (var c in text)
        {
            if (c == '+' || (char.IsAsciiLetter(c) && c is not ('T' or 't')) || (c is '-' or '/' && ++separators > 2))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The fields of the commonest shapes without an offset (<c>2024-03-01</c>, <c>2024-03-01T08:20:30</c>,
    /// <c>2024-03-01T08:20:30.123</c>), read without dayjs's pattern: for these its first try matches, with
    /// these groups, so the same rules follow.
    /// </summary>
    private static DateFields? LocalFields(string text)
    {
        if (text.Length is not (10 or 19 or 23) || text[4] != '-' || text[7] != '-'
            || (text.Length > 10 && (text[10] != 'T' || text[13] != ':' || text[16] != ':'))
            || (text.Length == 23 && text[19] != '.'))
        {
            return null;
        }

        var year = Digits(text, 0, 4);
        var month = Digits(text, 5, 2);
        var day = Digits(text, 8, 2);
        var hour = text.Length > 10 ? Digits(text, 11, 2) : 0;
        var minute = text.Length > 10 ? Digits(text, 14, 2) : 0;
        var second = text.Length > 10 ? Digits(text, 17, 2) : 0;
        var millisecond = text.Length == 23 ? Digits(text, 20, 3) : 0;
        return year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || millisecond < 0
            ? null
            : new DateFields(year, month, day, hour, minute, second, millisecond, null, false);
    }

    /// <summary>The number the ASCII digits at <paramref name="at"/> make, or -1 when one is not a digit.</summary>
    private static int Digits(string text, int at, int count)
    {
        var value = 0;
        for (var i = at; i < at + count; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                return -1;
            }

            value = (value * 10) + (text[i] - '0');
        }

        return value;
    }

    private readonly record struct DateFields(
        double Year, double Month, double Day, double Hour, double Minute, double Second, double Millisecond, string? Zone, bool NegativeZeroYear);

    /// <summary><c>Date.UTC</c>: a year 0–99 means 1900–1999; months and days roll over.</summary>
    private static double DateUtc(double year, double month, double day, double hour, double minute, double second, double millisecond) =>
        MakeTime(year is >= 0 and <= 99 ? 1900 + year : year, month, day, hour, minute, second, millisecond);

    private static double MakeTime(double year, double month, double day, double hour, double minute, double second, double millisecond)
    {
        var y = year + Math.Floor(month / 12);
        var m = month - (Math.Floor(month / 12) * 12);
        if (Math.Abs(y) > 400_000)
        {
            return double.NaN;
        }

        var days = DaysFromCivil((long)y, (int)m + 1, 1) + day - 1;
        return (days * 86_400_000) + (hour * 3_600_000) + (minute * 60_000) + (second * 1000) + millisecond;
    }

    private static bool Clip(double time, out double clipped)
    {
        clipped = double.IsFinite(time) && Math.Abs(time) <= MaxTime ? Math.Truncate(time) + 0.0 : double.NaN;
        return !double.IsNaN(clipped);
    }

    // Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
    private static long DaysFromCivil(long year, int month, int day)
    {
        year -= month <= 2 ? 1 : 0;
        var era = FloorDiv(year, 400);
        var yearOfEra = year - (era * 400);
        var dayOfYear = ((153 * (month + (month > 2 ? -3 : 9))) + 2) / 5 + day - 1;
        var dayOfEra = (yearOfEra * 365) + (yearOfEra / 4) - (yearOfEra / 100) + dayOfYear;
        return (era * 146_097) + dayOfEra - 719_468;
    }

    private static (long Year, long Month, long Day) CivilFromDays(long days)
    {
        days += 719_468;
        var era = FloorDiv(days, 146_097);
        var dayOfEra = days - (era * 146_097);
        var yearOfEra = (dayOfEra - (dayOfEra / 1460) + (dayOfEra / 36_524) - (dayOfEra / 146_096)) / 365;
        var dayOfYear = dayOfEra - ((365 * yearOfEra) + (yearOfEra / 4) - (yearOfEra / 100));
        var mp = ((5 * dayOfYear) + 2) / 153;
        var day = dayOfYear - (((153 * mp) + 2) / 5) + 1;
        var month = mp < 10 ? mp + 3 : mp - 9;
        return (yearOfEra + (era * 400) + (month <= 2 ? 1 : 0), month, day);
    }

    private static long FloorDiv(long a, long b) => (a / b) - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}
