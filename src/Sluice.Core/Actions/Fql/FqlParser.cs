namespace Sluice.Actions.Fql;

/// <summary>
/// Recursive descent over the tokens:
/// <code>
/// expression := and ("or" and)*
/// and        := unary ("and" unary)*
/// unary      := ("!" | "not") unary | primary
/// primary    := "(" expression ")" | function | field operator value
/// function   := ("contains" | "match") "(" field "," value ")"
/// value      := string | number | true | false | null | bare word (read as a string)
/// </code>
/// Errors throw <see cref="FqlException"/> with the position of the offending token.
/// </summary>
internal sealed class FqlParser
{
    // Deep enough for any real expression, shallow enough that a hostile one cannot overflow the stack.
    private const int MaxDepth = 64;

    private readonly FqlLexer _lexer;
    private readonly SegmentDifferences _differences;
    private FqlToken _current;
    private int _depth;
    private int _parentheses;

    private FqlParser(string text, List<string> warnings)
    {
        _lexer = new FqlLexer(text, warnings);
        _differences = new SegmentDifferences(text, warnings);
        _current = _lexer.Read();
    }

    public static FqlNode Parse(string text, List<string> warnings)
    {
        var parser = new FqlParser(text, warnings);
        var root = parser.ParseExpression();
        var end = parser.Peek;
        if (end.Kind != TokenKind.End)
        {
            throw new FqlException(end.Start, end.Kind == TokenKind.RightParen
                ? "this ')' has no matching '('"
                : $"expected 'and', 'or' or the end of the text, found {end.Describe()}{KeywordHint(end)}");
        }

        return root;
    }

    private FqlToken Peek => _current;

    // Callers check Peek before consuming, so that a problem in the next token is reported only
    // after the current one has been judged (reading order). The end token is never consumed.
    private FqlToken Next()
    {
        var token = _current;
        if (token.Kind != TokenKind.End)
        {
            _current = _lexer.Read();
        }

        return token;
    }

    private FqlNode ParseExpression()
    {
        var first = ParseAnd(out var firstHasAnd);
        if (!Peek.IsKeyword("or"))
        {
            return first;
        }

        var mixed = firstHasAnd;
        var children = new List<FqlNode> { first };
        var firstOr = Peek;
        while (Peek.IsKeyword("or"))
        {
            var or = Next();
            _differences.Connective(or);
            RequireOperand(or);
            children.Add(ParseAnd(out var hasAnd));
            mixed |= hasAnd;
        }

        if (mixed)
        {
            _differences.MixedAndOr(firstOr);
        }

        return new OrNode([.. children]);
    }

    private FqlNode ParseAnd(out bool hasAnd)
    {
        var first = ParseUnary();
        hasAnd = Peek.IsKeyword("and");
        if (!hasAnd)
        {
            return first;
        }

        var children = new List<FqlNode> { first };
        while (Peek.IsKeyword("and"))
        {
            var and = Next();
            _differences.Connective(and);
            RequireOperand(and);
            children.Add(ParseUnary());
        }

        return new AndNode([.. children]);
    }

    private void RequireOperand(FqlToken op)
    {
        var next = Peek;
        if (next.Kind is TokenKind.End or TokenKind.RightParen || next.IsKeyword("and") || next.IsKeyword("or"))
        {
            throw new FqlException(next.Start, $"expected a condition after '{op.Text}', found {next.Describe()}");
        }
    }

    private FqlNode ParseUnary()
    {
        var token = Peek;
        if (token.Kind != TokenKind.Bang && !token.IsKeyword("not"))
        {
            return ParsePrimary();
        }

        Next();
        Enter(token);
        var operand = ParseUnary();
        _depth--;
        _differences.Negation(token, operand);
        return new NotNode(operand);
    }

    private FqlNode ParsePrimary()
    {
        var token = Peek;
        switch (token.Kind)
        {
            case TokenKind.LeftParen:
                Next();
                Enter(token);
                _parentheses++;
                if (_parentheses == 2)
                {
                    _differences.NestedParentheses(token);
                }

                if (Peek.Kind == TokenKind.RightParen)
                {
                    throw new FqlException(Peek.Start, "expected a condition inside the parentheses");
                }

                var inner = ParseExpression();
                if (Peek.Kind != TokenKind.RightParen)
                {
                    throw new FqlException(Peek.Start, $"expected ')' to close the '(' at position {token.Start}, found {Peek.Describe()}");
                }

                Next();
                _parentheses--;
                _depth--;
                return inner;
            case TokenKind.Name when !IsReserved(token):
                Next();
                return Peek.Kind == TokenKind.LeftParen ? ParseFunction(token) : ParseComparison(token);
            default:
                throw new FqlException(token.Start, $"expected a condition (a field, a function or '('), found {token.Describe()}{KeywordHint(token)}");
        }
    }

    private FqlNode ParseComparison(FqlToken field)
    {
        var op = Peek;
        var path = new FieldPath(field.Segments);
        _differences.Field(field);
        switch (op.Kind)
        {
            case TokenKind.Equal or TokenKind.NotEqual:
                Next();
                var literal = ParseValue(op);
                _differences.Equality(field, op, literal);
                return new EqualityNode(path, literal.Literal, negated: op.Kind == TokenKind.NotEqual);
            case TokenKind.Less or TokenKind.LessOrEqual or TokenKind.Greater or TokenKind.GreaterOrEqual:
                Next();
                var operand = ParseValue(op);
                _differences.Ordering(field, op, operand);
                var ordering = op.Kind switch
                {
                    TokenKind.Less => Ordering.Less,
                    TokenKind.LessOrEqual => Ordering.LessOrEqual,
                    TokenKind.Greater => Ordering.Greater,
                    _ => Ordering.GreaterOrEqual,
                };
                return new OrderingNode(path, ordering, operand.Literal);
            default:
                throw new FqlException(op.Start, $"expected an operator (= != < <= > >=) after '{field.Text}', found {op.Describe()}{KeywordHint(field)}{(op.IsKeyword("in") ? "; the 'in' operator is not supported: write field = \"a\" or field = \"b\"" : "")}");
        }
    }

    private FqlNode ParseFunction(FqlToken name)
    {
        var function = name.IsKeyword("contains") ? "contains" : name.IsKeyword("match") ? "match" : null;
        if (function is null)
        {
            throw new FqlException(name.Start, $"unknown function '{name.Text}'; the functions are contains(field, \"text\") and match(field, \"pattern\")");
        }

        Next();
        var usage = function == "contains" ? "contains(field, \"text\")" : "match(field, \"pattern\")";
        var field = Peek;
        if (field.Kind != TokenKind.Name || IsReserved(field))
        {
            throw new FqlException(field.Start, $"expected a field as the first argument of {function}(), found {field.Describe()}; write {usage}");
        }

        Next();
        var comma = Peek;
        if (comma.Kind != TokenKind.Comma)
        {
            throw new FqlException(comma.Start, comma.Kind == TokenKind.RightParen
                ? $"{function}() takes two arguments; write {usage}"
                : $"expected ',' after the field in {function}(), found {comma.Describe()}");
        }

        Next();
        var argument = ParseValue(comma, $"expected a {(function == "contains" ? "text" : "pattern")} as the second argument of {function}()");
        var close = Peek;
        if (close.Kind != TokenKind.RightParen)
        {
            throw new FqlException(close.Start, close.Kind == TokenKind.Comma
                ? $"{function}() takes two arguments; write {usage}"
                : $"expected ')' after the arguments of {function}(), found {close.Describe()}");
        }

        Next();

        var path = new FieldPath(field.Segments);
        _differences.Field(field);
        _differences.Function(function, field, argument);
        if (_parentheses > 0)
        {
            _differences.FunctionInParentheses(name, Peek);
        }

        if (function == "contains")
        {
            return new ContainsNode(path, argument.Literal.Text);
        }

        var pattern = GlobPattern.TryCreate(argument.Literal.Text, out var error);
        if (pattern is null)
        {
            throw new FqlException(argument.Token.Start, $"invalid pattern in match(), at character {error.Index} of the pattern: {error.Reason}");
        }

        _differences.Pattern(argument.Token, pattern);
        return new MatchNode(path, pattern);
    }

    private Value ParseValue(FqlToken after, string? expectation = null)
    {
        var token = Peek;
        var literal = token.Kind switch
        {
            TokenKind.String => FqlLiteral.FromString(token.Text),
            TokenKind.Number => FqlLiteral.FromNumber(token.Number, token.Text),
            TokenKind.Name when token.IsKeyword("true") => FqlLiteral.True,
            TokenKind.Name when token.IsKeyword("false") => FqlLiteral.False,
            TokenKind.Name when token.IsKeyword("null") => FqlLiteral.Null,
            // A bare word is its own text, as in Segment: type = track is type = "track".
            TokenKind.Name when !token.IsAnyKeyword => FqlLiteral.FromString(token.Text),
            _ => null,
        };
        if (literal is null)
        {
            throw new FqlException(token.Start, $"{expectation ?? $"expected a value after '{after.Text}'"}, found {token.Describe()}");
        }

        Next();
        return new Value(token, literal);
    }

    private void Enter(FqlToken token)
    {
        if (++_depth > MaxDepth)
        {
            throw new FqlException(token.Start, $"the expression nests deeper than {MaxDepth} levels");
        }
    }

    private static bool IsReserved(FqlToken token) =>
        token.IsAnyKeyword || token.IsKeyword("true") || token.IsKeyword("false") || token.IsKeyword("null");

    private static string KeywordHint(FqlToken token) =>
        token.Kind == TokenKind.Name && token.Segments.Length == 1
            && token.Text.ToLowerInvariant() is "and" or "or" or "not" && !token.IsAnyKeyword
            ? $"; operators are lower case: write '{token.Text.ToLowerInvariant()}'"
            : "";

    internal readonly record struct Value(FqlToken Token, FqlLiteral Literal);
}
