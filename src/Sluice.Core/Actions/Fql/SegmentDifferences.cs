namespace Sluice.Actions.Fql;

/// <summary>
/// Collects the warnings of an expression: the constructs that Segment's trigger evaluator
/// (destination-subscriptions' parseFql + validate) reads differently from Sluice, so a trigger
/// copied from or to Segment may match other events there; plus conditions that can never hold.
/// They are warnings, not errors, because Sluice's reading is the intended one.
/// </summary>
internal sealed class SegmentDifferences(string text, List<string> warnings)
{
    private const string Segment = "Segment's trigger evaluator";

    private bool _mixedReported;
    private bool _nestingReported;

    public void MixedAndOr(FqlToken firstOr)
    {
        if (_mixedReported)
        {
            return;
        }

        _mixedReported = true;
        Add(firstOr, $"'and' and 'or' are mixed without parentheses; Sluice reads 'and' first, {Segment} applies the last of them to the whole group; add parentheses");
    }

    public void NestedParentheses(FqlToken open)
    {
        if (_nestingReported)
        {
            return;
        }

        _nestingReported = true;
        Add(open, $"{Segment} rejects parentheses inside parentheses (the trigger never runs there)");
    }

    public void Negation(FqlToken token, FqlNode operand)
    {
        var next = token.Start + 1 < text.Length ? text[token.Start + 1] : ' ';
        if (token.Kind == TokenKind.Bang && !char.IsAsciiLetter(next) && next != '(')
        {
            Add(token, $"{Segment} rejects a '!' that is not directly followed by a name or '(' (the trigger never runs there)");
        }
        else if (token.Kind != TokenKind.Bang)
        {
            Add(token, $"{Segment} ignores 'not' (it reads the condition un-negated); '!' is understood by both only before contains() or match()");
        }
        else if (operand is TextNode)
        {
            Add(token, $"this '!' is true when the field is missing or not a string; {Segment} answers false then");
        }
        else
        {
            Add(token, $"{Segment} ignores a '!' that is not directly before contains() or match() (it reads the condition un-negated)");
        }
    }

    /// <summary>An 'and' or 'or' glued to a '(' is a name to Segment's lexer, which then skips it.</summary>
    public void Connective(FqlToken connective)
    {
        var end = connective.Start + connective.Length;
        if (end < text.Length && text[end] == '(')
        {
            Add(connective, $"{Segment} reads '{connective.Text}(' as a name and ignores it; put a space before '('");
        }
    }

    /// <summary>
    /// Segment ends a parenthesised group at the first ')', which is the function's own when a
    /// call is not last in the group: the rest of the group is then read outside the parentheses.
    /// </summary>
    public void FunctionInParentheses(FqlToken name, FqlToken next)
    {
        if (next.Kind != TokenKind.RightParen)
        {
            Add(name, $"{Segment} ends a parenthesised group at the ')' of {name.Text}() and reads what follows outside the parentheses; put {name.Text}() last in its group");
        }
    }

    public void Field(FqlToken field)
    {
        NonAscii(field);
        var names = field.Segments;
        var first = names[0];
        var known = names.Length == 1
            ? first is "type" or "event" or "name" or "userId"
            : first is "properties" or "traits" or "context";
        if (!known)
        {
            Add(field, $"{Segment} ignores conditions on '{field.Text}': it reads only type, event, name, userId and fields under properties, traits and context");
            return;
        }

        for (var i = 1; i < names.Length; i++)
        {
            if (names[i].Length > 0 && char.IsAsciiDigit(names[i][0]))
            {
                Add(field, $"{Segment} does not index arrays: '{field.Text}' never matches there");
                return;
            }

            if (names[i] == "length")
            {
                Add(field, $"{Segment} reads '.length' of a string or an array as its length; Sluice reads only a field named length");
                return;
            }

            if (names[i].Contains('.'))
            {
                Add(field, $"{Segment} splits names at every dot, escaped or not: '{field.Text}' reads other fields there");
                return;
            }
        }
    }

    public void Equality(FqlToken field, FqlToken op, FqlParser.Value value)
    {
        CheckValue(value);
        CheckSpacing(op);
        var literal = value.Literal;
        var negated = op.Kind == TokenKind.NotEqual;
        var special = IsSegmentTopLevel(field);
        var isBoolean = literal.Kind is LiteralKind.True or LiteralKind.False;
        if (special && (literal.Kind == LiteralKind.Number || (isBoolean && (negated || field.Text != "userId"))))
        {
            Add(value.Token, $"{Segment} compares {field.Text} with the text \"{literal.Text}\", not with the {(isBoolean ? "boolean" : "number")} {literal.Text}");
        }
        else if (special && literal.Kind == LiteralKind.Null && field.Text is "type" or "event")
        {
            Add(value.Token, $"{Segment} compares {field.Text} with the text \"null\", so a missing {field.Text} does not equal null there");
        }
        else if (negated && isBoolean)
        {
            Add(value.Token, $"{Segment} compares != {literal.Text} with the text \"{literal.Text}\", so it is true there even when the field is {literal.Text}");
        }
        else if (negated && literal.Kind == LiteralKind.Number)
        {
            Add(value.Token, $"this != is true when the field is missing or not a number; {Segment} answers false then");
        }
    }

    public void Ordering(FqlToken field, FqlToken op, FqlParser.Value value)
    {
        CheckValue(value);
        CheckSpacing(op);
        if (value.Literal.Kind is LiteralKind.True or LiteralKind.False && IsSegmentTopLevel(field))
        {
            Add(value.Token, $"'{op.Text}' reads {value.Literal.Text} as {value.Literal.Number}; {Segment} compares {field.Text} with the text \"{value.Literal.Text}\" instead, which is never true");
        }
        else if (double.IsNaN(value.Literal.AsNumber()))
        {
            Add(value.Token, $"'{op.Text}' compares numbers and {value.Token.Describe()} is not one, so this condition is never true");
        }
    }

    public void Function(string function, FqlToken field, FqlParser.Value argument)
    {
        CheckValue(argument);
        if (field.Segments.Length == 1 && field.Segments[0] == "type")
        {
            Add(field, $"{Segment} ignores {function}() on type");
        }
    }

    public void Pattern(FqlToken token, GlobPattern pattern)
    {
        if (!pattern.IsPrefixOrSuffix || pattern.Source.Contains('\\'))
        {
            Add(token, $"{Segment} reads a match() pattern only as a prefix (\"abc*\") or a suffix (\"*abc\"), and any other pattern as a suffix without its first character");
        }
    }

    private void CheckValue(FqlParser.Value value)
    {
        var token = value.Token;
        if (token.Kind == TokenKind.Name)
        {
            NonAscii(token);
        }

        if (token.Kind == TokenKind.String && token.Quote == '\'')
        {
            Add(token, $"{Segment} keeps single quotes as part of the text, so it never matches there; use double quotes");
        }
        else if (token.Kind == TokenKind.String && token.HasEscape)
        {
            Add(token, $"{Segment} has no backslash escapes in strings (the string ends at the first \")");
        }
        else if (token.Kind == TokenKind.Number && token.Text.AsSpan().IndexOfAny('e', 'E') >= 0)
        {
            Add(token, $"{Segment} does not read {token.Text} as a number (it reads {token.Text.Split('e', 'E')[0]} and ignores the rest)");
        }
    }

    // Segment's lexer refuses < > right after a name, and <= >= != with no space after them.
    private void CheckSpacing(FqlToken op)
    {
        var before = op.Start > 0 ? text[op.Start - 1] : ' ';
        var after = op.Start + op.Length < text.Length ? text[op.Start + op.Length] : ' ';
        var nameBefore = before is not (' ' or '\t' or '\n' or '\r' or ')');
        var glued = op.Kind switch
        {
            TokenKind.Less or TokenKind.Greater => nameBefore,
            TokenKind.LessOrEqual or TokenKind.GreaterOrEqual or TokenKind.NotEqual => nameBefore || after is not (' ' or '\t' or '\n' or '\r'),
            _ => false,
        };
        if (glued)
        {
            Add(op, $"{Segment} rejects '{op.Text}' without spaces around it (the trigger never runs there)");
        }
    }

    // The fields Segment reads straight off the message, comparing with the value's text.
    private static bool IsSegmentTopLevel(FqlToken field) =>
        field.Segments.Length == 1 && field.Segments[0] is "type" or "event" or "name" or "userId";

    private void NonAscii(FqlToken name)
    {
        foreach (var c in text.AsSpan(name.Start, name.Length))
        {
            if (c >= 0x80)
            {
                Add(name, $"{Segment} rejects non-ASCII characters outside quotes (the trigger never runs there)");
                return;
            }
        }
    }

    private void Add(FqlToken token, string warning) => warnings.Add($"position {token.Start}: {warning}");
}
