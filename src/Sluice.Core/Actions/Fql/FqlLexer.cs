using System.Globalization;
using System.Text;

namespace Sluice.Actions.Fql;

internal enum TokenKind
{
    End,
    Name,
    String,
    Number,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Bang,
    LeftParen,
    RightParen,
    Comma,
}

/// <summary>One token, with the source span it came from (errors and warnings point at <see cref="Start"/>).</summary>
internal sealed class FqlToken
{
    public required TokenKind Kind { get; init; }

    public required int Start { get; init; }

    public required int Length { get; init; }

    /// <summary>Name: its dot-separated segments, unescaped. Empty for other kinds.</summary>
    public string[] Segments { get; init; } = [];

    /// <summary>String: the unescaped content. Name: the segments joined with dots. Others: the source text.</summary>
    public string Text { get; init; } = "";

    public double Number { get; init; }

    /// <summary>A backslash escape occurred (in a name, it turns a keyword into an ordinary name).</summary>
    public bool HasEscape { get; init; }

    public char Quote { get; init; }

    public bool IsKeyword(string keyword) =>
        Kind == TokenKind.Name && !HasEscape && Segments.Length == 1 && Segments[0] == keyword;

    public bool IsAnyKeyword => IsKeyword("and") || IsKeyword("or") || IsKeyword("not");

    public string Describe() => Kind switch
    {
        TokenKind.End => "the end of the text",
        TokenKind.String => $"the string {Quote}{Text}{Quote}",
        TokenKind.Number => $"the number {Text}",
        _ => $"'{Text}'",
    };
}

/// <summary>
/// Turns FQL text into tokens, one at a time as the parser asks, so the first problem in reading
/// order is the one reported. A name runs over dots, so <c>properties.items.0.price</c> is one token
/// and its numeric segment is a segment, not a number.
/// </summary>
internal sealed class FqlLexer(string text, List<string> warnings)
{
    private int _position;
    private bool _warnedCarriageReturn;

    public FqlToken Read()
    {
        while (_position < text.Length && text[_position] is ' ' or '\t' or '\n' or '\r')
        {
            if (text[_position] == '\r' && !_warnedCarriageReturn)
            {
                _warnedCarriageReturn = true;
                warnings.Add($"position {_position}: Segment's trigger evaluator rejects a carriage return anywhere in the text");
            }

            _position++;
        }

        if (_position >= text.Length)
        {
            return new FqlToken { Kind = TokenKind.End, Start = text.Length, Length = 0 };
        }

        var start = _position;
        var c = text[_position];
        switch (c)
        {
            case '"' or '\'':
                return ReadString();
            case '(':
                _position++;
                return Punctuation(TokenKind.LeftParen, start, 1, "(");
            case ')':
                _position++;
                return Punctuation(TokenKind.RightParen, start, 1, ")");
            case ',':
                _position++;
                return Punctuation(TokenKind.Comma, start, 1, ",");
            case '=':
                if (Peek(_position + 1) == '=')
                {
                    throw new FqlException(start, "'==' is not an operator; write '=' to compare");
                }

                _position++;
                return Punctuation(TokenKind.Equal, start, 1, "=");
            case '!':
                if (Peek(_position + 1) == '=')
                {
                    _position += 2;
                    return Punctuation(TokenKind.NotEqual, start, 2, "!=");
                }

                _position++;
                return Punctuation(TokenKind.Bang, start, 1, "!");
            case '<' or '>':
                var orEqual = Peek(_position + 1) == '=';
                var kind = (c, orEqual) switch
                {
                    ('<', false) => TokenKind.Less,
                    ('<', true) => TokenKind.LessOrEqual,
                    ('>', false) => TokenKind.Greater,
                    _ => TokenKind.GreaterOrEqual,
                };
                var length = orEqual ? 2 : 1;
                _position += length;
                return Punctuation(kind, start, length, text.Substring(start, length));
            case '&':
                throw new FqlException(start, "unexpected character '&'; write 'and'");
            case '|':
                throw new FqlException(start, "unexpected character '|'; write 'or'");
            case '[':
                throw new FqlException(start, start > 0 && IsNameChar(text[start - 1])
                    ? "unexpected character '['; write an array index as a path segment: items.0.price"
                    : "unexpected character '['; lists are not supported");
        }

        if (char.IsAsciiDigit(c) || (c is '-' or '+' && char.IsAsciiDigit(Peek(_position + 1))))
        {
            return ReadNumber();
        }

        if (IsNameStart(c))
        {
            return ReadName();
        }

        throw new FqlException(start, $"unexpected character {Quoted(start)}; inside a field name, escape it with a backslash");
    }

    private static FqlToken Punctuation(TokenKind kind, int start, int length, string source) =>
        new() { Kind = kind, Start = start, Length = length, Text = source };

    private char Peek(int index) => index < text.Length ? text[index] : '\0';

    private string Quoted(int index) =>
        char.IsHighSurrogate(text[index]) && index + 1 < text.Length
            ? $"'{text.Substring(index, 2)}'"
            : $"'{text[index]}' (U+{(int)text[index]:X4})";

    // Non-ASCII characters have no meaning in FQL, so they may appear in names without escapes;
    // only non-ASCII white space is refused, because it is invisible in an error-prone way.
    private static bool IsNameChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '_' or '-' || (c >= 0x80 && !char.IsWhiteSpace(c));

    private static bool IsNameStart(char c) =>
        char.IsAsciiLetter(c) || c is '_' or '\\' || (c >= 0x80 && !char.IsWhiteSpace(c));

    private FqlToken ReadName()
    {
        var start = _position;
        var segments = new List<string>();
        var segment = new StringBuilder();
        var escaped = false;
        while (true)
        {
            while (_position < text.Length)
            {
                var c = text[_position];
                if (c == '\\')
                {
                    if (_position + 1 >= text.Length)
                    {
                        throw new FqlException(_position, "a backslash at the end of the text has nothing to escape");
                    }

                    // A backslash takes a whole character, so an escaped emoji stays one character.
                    var width = char.IsHighSurrogate(text[_position + 1]) && _position + 2 < text.Length ? 2 : 1;
                    segment.Append(text, _position + 1, width);
                    _position += 1 + width;
                    escaped = true;
                }
                else if (IsNameChar(c))
                {
                    segment.Append(c);
                    _position++;
                }
                else
                {
                    break;
                }
            }

            if (segment.Length == 0)
            {
                throw new FqlException(_position, _position < text.Length && !char.IsWhiteSpace(text[_position]) && text[_position] is not ('=' or '!' or '<' or '>' or '(' or ')' or ',' or '.' or '"' or '\'')
                    ? $"unexpected character {Quoted(_position)} in a field name; escape it with a backslash"
                    : "expected a field name after '.'");
            }

            segments.Add(segment.ToString());
            segment.Clear();
            if (_position < text.Length && text[_position] == '.')
            {
                _position++;
                continue;
            }

            break;
        }

        return new FqlToken
        {
            Kind = TokenKind.Name,
            Start = start,
            Length = _position - start,
            Segments = [.. segments],
            Text = string.Join('.', segments),
            HasEscape = escaped,
        };
    }

    private FqlToken ReadNumber()
    {
        var start = _position;
        if (text[_position] is '-' or '+')
        {
            _position++;
        }

        SkipDigits();
        if (Peek(_position) == '.')
        {
            _position++;
            if (!char.IsAsciiDigit(Peek(_position)))
            {
                throw new FqlException(_position, "expected a digit after the decimal point");
            }

            SkipDigits();
        }

        if (Peek(_position) is 'e' or 'E')
        {
            var exponent = _position + 1;
            if (Peek(exponent) is '+' or '-')
            {
                exponent++;
            }

            if (char.IsAsciiDigit(Peek(exponent)))
            {
                _position = exponent;
                SkipDigits();
            }
        }

        if (_position < text.Length && (IsNameChar(text[_position]) || text[_position] is '.' or '\\'))
        {
            throw new FqlException(start, $"'{ReadWord(start)}' is not a number; a name cannot start with a digit");
        }

        var source = text[start.._position];
        var value = double.Parse(source, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!double.IsFinite(value))
        {
            throw new FqlException(start, $"the number {source} is too large");
        }

        return new FqlToken { Kind = TokenKind.Number, Start = start, Length = _position - start, Text = source, Number = value };
    }

    private string ReadWord(int start)
    {
        var end = start + 1;
        while (end < text.Length && (IsNameChar(text[end]) || text[end] is '.' or '\\'))
        {
            end++;
        }

        return text[start..end];
    }

    private void SkipDigits()
    {
        while (_position < text.Length && char.IsAsciiDigit(text[_position]))
        {
            _position++;
        }
    }

    // Only the quotes and the backslash itself are escapes: any other backslash stays in the
    // string, so a match() pattern's own escapes (\*, \?) and Windows paths read as written.
    private FqlToken ReadString()
    {
        var start = _position;
        var quote = text[_position++];
        var content = new StringBuilder();
        var escaped = false;
        while (_position < text.Length)
        {
            var c = text[_position];
            if (c == quote)
            {
                _position++;
                return new FqlToken
                {
                    Kind = TokenKind.String,
                    Start = start,
                    Length = _position - start,
                    Text = content.ToString(),
                    Quote = quote,
                    HasEscape = escaped,
                };
            }

            if (c == '\\' && Peek(_position + 1) is '"' or '\'' or '\\')
            {
                content.Append(text[_position + 1]);
                _position += 2;
                escaped = true;
                continue;
            }

            content.Append(c);
            _position++;
        }

        throw new FqlException(start, $"this string has no closing {quote}");
    }
}
