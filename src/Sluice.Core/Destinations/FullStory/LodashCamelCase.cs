using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Destinations.FullStory;

/// <summary>
/// lodash's <c>camelCase</c> (4.17–4.18), which FullStory's V1 identify applies to every trait name:
/// deburr Latin letters, drop apostrophes, split into words (lodash's ASCII or Unicode word rules),
/// lower-case the first word and capitalise the rest. The word patterns are composed from the same
/// character ranges as lodash's, quirks included (its "misc" class also excludes <c>+</c>), because
/// the split decides which ASCII letters end up upper-case in the names FullStory stores.
/// </summary>
internal static partial class LodashCamelCase
{
    private const string Astral = @"\ud800-\udfff";
    private const string Combo = @"\u0300-\u036f\ufe20-\ufe2f\u20d0-\u20ff";
    private const string Dingbat = @"\u2700-\u27bf";
    private const string LowerRange = @"a-z\xdf-\xf6\xf8-\xff";
    private const string MathOp = @"\xac\xb1\xd7\xf7";
    private const string NonChar = @"\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\xbf";
    private const string Punctuation = @"\u2000-\u206f";
    private const string Space = @" \t\x0b\f\xa0\ufeff\n\r\u2028\u2029\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000";
    private const string UpperRange = @"A-Z\xc0-\xd6\xd8-\xde";
    private const string Var = @"\ufe0e\ufe0f";
    private const string BreakRange = MathOp + NonChar + Punctuation + Space;

    private const string Apos = "['\u2019]";
    private const string Break = "[" + BreakRange + "]";
    private const string Digits = @"\d+";
    private const string Lower = "[" + LowerRange + "]";
    private const string Misc = "[^" + Astral + BreakRange + Digits + Dingbat + LowerRange + UpperRange + "]";
    private const string Fitz = @"\ud83c[\udffb-\udfff]";
    private const string Modifier = "(?:[" + Combo + "]|" + Fitz + ")";
    private const string NonAstral = "[^" + Astral + "]";
    private const string Regional = @"(?:\ud83c[\udde6-\uddff]){2}";
    private const string SurrogatePair = @"[\ud800-\udbff][\udc00-\udfff]";
    private const string Upper = "[" + UpperRange + "]";
    private const string MiscLower = "(?:" + Lower + "|" + Misc + ")";
    private const string MiscUpper = "(?:" + Upper + "|" + Misc + ")";
    private const string OptContrLower = "(?:" + Apos + "(?:d|ll|m|re|s|t|ve))?";
    private const string OptContrUpper = "(?:" + Apos + "(?:D|LL|M|RE|S|T|VE))?";
    private const string OptVar = "[" + Var + "]?";
    private const string OptJoin = @"(?:\u200d(?:" + NonAstral + "|" + Regional + "|" + SurrogatePair + ")" + OptVar + Modifier + "?)*";
    private const string OrdLower = @"\d*(?:1st|2nd|3rd|(?![123])\dth)(?=\b|[A-Z_])";
    private const string OrdUpper = @"\d*(?:1ST|2ND|3RD|(?![123])\dTH)(?=\b|[a-z_])";
    private const string Emoji = "(?:[" + Dingbat + "]|" + Regional + "|" + SurrogatePair + ")" + OptVar + Modifier + "?" + OptJoin;

    // JavaScript's "$" without the m flag: the very end of the text.
    private const string End = @"(?![\s\S])";

    private const string UnicodeWordPattern =
        Upper + "?" + Lower + "+" + OptContrLower + "(?=" + Break + "|" + Upper + "|" + End + ")"
        + "|" + MiscUpper + "+" + OptContrUpper + "(?=" + Break + "|" + Upper + MiscLower + "|" + End + ")"
        + "|" + Upper + "?" + MiscLower + "+" + OptContrLower
        + "|" + Upper + "+" + OptContrUpper
        + "|" + OrdUpper
        + "|" + OrdLower
        + "|" + Digits
        + "|" + Emoji;

    // ECMAScript semantics: \d and \b are ASCII, as in the JavaScript regular expressions these mirror.
    [GeneratedRegex(UnicodeWordPattern, RegexOptions.ECMAScript)]
    private static partial Regex UnicodeWord();

    [GeneratedRegex(@"[^\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+", RegexOptions.ECMAScript)]
    private static partial Regex AsciiWord();

    [GeneratedRegex("[a-z][A-Z]|[A-Z]{2}[a-z]|[0-9][a-zA-Z]|[a-zA-Z][0-9]|[^a-zA-Z0-9 ]", RegexOptions.ECMAScript)]
    private static partial Regex NeedsUnicodeWords();

    [GeneratedRegex(Apos, RegexOptions.ECMAScript)]
    private static partial Regex Apostrophe();

    public static string Convert(string text)
    {
        var words = Words(Apostrophe().Replace(Deburr(text), ""));
        var result = new StringBuilder(text.Length);
        foreach (var (word, index) in words.Select((w, i) => (w, i)))
        {
            var lower = word.ToLowerInvariant();
            result.Append(index == 0 ? lower : UpperFirst(lower));
        }

        return result.ToString();
    }

    public static IReadOnlyList<string> Words(string text) =>
        [.. (NeedsUnicodeWords().IsMatch(text) ? UnicodeWord() : AsciiWord()).Matches(text).Select(m => m.Value)];

    /// <summary>lodash <c>deburr</c>: Latin-1 Supplement and Latin Extended-A letters to basic Latin, combining marks removed.</summary>
    public static string Deburr(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is (>= '\u0300' and <= '\u036f') or (>= '\ufe20' and <= '\ufe2f') or (>= '\u20d0' and <= '\u20ff'))
            {
                continue;
            }

            result.Append(DeburrLetter(c));
        }

        return result.ToString();
    }

    private static string DeburrLetter(char letter) => DeburredLetters.TryGetValue(letter, out var plain) ? plain : letter.ToString();

    // Globalization-invariant mode has no Unicode decomposition, so the letters are spelled out, grouped by what they become.
    private static readonly Dictionary<char, string> DeburredLetters = new (string Letters, string Plain)[]
    {
        ("ÀÁÂÃÄÅĀĂĄ", "A"), ("àáâãäåāăą", "a"), ("ÇĆĈĊČ", "C"), ("çćĉċč", "c"), ("ÐĎĐ", "D"), ("ðďđ", "d"),
        ("ÈÉÊËĒĔĖĘĚ", "E"), ("èéêëēĕėęě", "e"), ("ĜĞĠĢ", "G"), ("ĝğġģ", "g"), ("ĤĦ", "H"), ("ĥħ", "h"),
        ("ÌÍÎÏĨĪĬĮİ", "I"), ("ìíîïĩīĭįı", "i"), ("Ĵ", "J"), ("ĵ", "j"), ("Ķ", "K"), ("ķĸ", "k"),
        ("ĹĻĽĿŁ", "L"), ("ĺļľŀł", "l"), ("ÑŃŅŇŊ", "N"), ("ñńņňŋ", "n"), ("ÒÓÔÕÖØŌŎŐ", "O"), ("òóôõöøōŏő", "o"),
        ("ŔŖŘ", "R"), ("ŕŗř", "r"), ("ŚŜŞŠ", "S"), ("śŝşšſ", "s"), ("ŢŤŦ", "T"), ("ţťŧ", "t"),
        ("ÙÚÛÜŨŪŬŮŰŲ", "U"), ("ùúûüũūŭůűų", "u"), ("Ŵ", "W"), ("ŵ", "w"), ("ÝŶŸ", "Y"), ("ýÿŷ", "y"),
        ("ŹŻŽ", "Z"), ("źżž", "z"), ("Æ", "Ae"), ("æ", "ae"), ("Þ", "Th"), ("þ", "th"), ("ß", "ss"),
        ("Ĳ", "IJ"), ("ĳ", "ij"), ("Œ", "Oe"), ("œ", "oe"), ("ŉ", "'n"),
    }.SelectMany(g => g.Letters.Select(c => (c, g.Plain))).ToDictionary(x => x.c, x => x.Plain);

    /// <summary>JavaScript's <c>toUpperCase</c> of the first code point (a surrogate pair counts as one).</summary>
    private static string UpperFirst(string word)
    {
        if (word.Length == 0)
        {
            return word;
        }

        var first = char.IsHighSurrogate(word[0]) && word.Length > 1 ? 2 : 1;
        return word[..first].ToUpper(CultureInfo.InvariantCulture) + word[first..];
    }
}
