using System.Globalization;

namespace Sluice.Actions.Fql;

/// <summary>
/// JavaScript's <c>Number(text)</c>, which Segment applies to the value side of <c>&lt; &lt;= &gt; &gt;=</c>:
/// <c>properties.total &gt; "20"</c> compares with 20.
/// </summary>
internal static class JsNumber
{
    public static double Parse(string text)
    {
        var s = text.AsSpan().Trim(WhiteSpace);
        if (s.IsEmpty)
        {
            return 0;
        }

        if (s.Length > 2 && s[0] == '0')
        {
            var radix = s[1] switch
            {
                'x' or 'X' => 16,
                'o' or 'O' => 8,
                'b' or 'B' => 2,
                _ => 0,
            };
            if (radix != 0)
            {
                return ParseInteger(s[2..], radix);
            }
        }

        var sign = 1.0;
        var body = s;
        if (body[0] is '+' or '-')
        {
            sign = body[0] == '-' ? -1 : 1;
            body = body[1..];
        }

        if (body.SequenceEqual("Infinity"))
        {
            return sign * double.PositiveInfinity;
        }

        return IsDecimalLiteral(body) ? double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture) : double.NaN;
    }

    // JavaScript's StrWhiteSpaceChar: white space and line terminators, including the BOM.
    private static readonly char[] WhiteSpace =
    [
        '\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004',
        '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f',
        '\u3000', '\ufeff',
    ];

    private static double ParseInteger(ReadOnlySpan<char> digits, int radix)
    {
        var value = 0.0;
        foreach (var c in digits)
        {
            var digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => int.MaxValue,
            };
            if (digit >= radix)
            {
                return double.NaN;
            }

            value = (value * radix) + digit;
        }

        return value;
    }

    // digits [. digits?] | . digits, then an optional exponent; nothing else (no "_", no "NaN").
    private static bool IsDecimalLiteral(ReadOnlySpan<char> s)
    {
        var i = 0;
        var intDigits = CountDigits(s, ref i);
        var fractionDigits = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            fractionDigits = CountDigits(s, ref i);
        }

        if (intDigits + fractionDigits == 0)
        {
            return false;
        }

        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-')
            {
                i++;
            }

            if (CountDigits(s, ref i) == 0)
            {
                return false;
            }
        }

        return i == s.Length;
    }

    private static int CountDigits(ReadOnlySpan<char> s, ref int i)
    {
        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        return i - start;
    }
}
