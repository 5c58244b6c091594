using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Actions.Fql;

namespace Sluice.Workspace;

/// <summary>A query that does not parse: where (0-based character) and why.</summary>
internal sealed class EngageQueryException(int position, string reason) : Exception($"position {position}: {reason}")
{
    public int Position { get; } = position;

    public string Reason { get; } = reason;
}

/// <summary>
/// Reads definitions written in Segment's query language (docs/engage.md lists what Sluice takes):
/// <c>event('Order Completed').where(property('total') &gt; 100).within(30 days).count() &gt;= 2 AND trait('plan') = 'pro'</c>.
/// A computed trait is one event aggregate; an audience is conditions joined by AND, OR, NOT (AND binds
/// tighter) and parentheses. A <c>where</c> becomes FQL, so events are matched by the triggers' engine.
/// </summary>
internal sealed class EngageQueryParser
{
    /// <summary>Segment's limit on the conditions of one definition.</summary>
    public const int MaxConditions = 50;

    private readonly List<Token> _tokens;
    private int _next;
    private int _conditions;

    private EngageQueryParser(string text)
    {
        _tokens = Lex(text);
    }

    /// <summary>A computed trait's query: one aggregate of events, such as <c>event('Order Completed').sum(property('total'))</c>.</summary>
    public static EventAggregate ParseComputedTrait(string text)
    {
        var parser = new EngageQueryParser(text);
        var start = parser.Peek();
        if (!start.Is("event"))
        {
            throw new EngageQueryException(start.Position, "a computed trait is an aggregate of events: event('Name')….count(), .sum(property('x')), .first(property('x')) and so on");
        }

        var aggregate = parser.Aggregate();
        parser.Expect(TokenKind.End, "nothing after the computed trait's aggregate (a comparison makes an audience, not a trait)");
        return aggregate;
    }

    /// <summary>An audience's query: conditions on events and traits that are true or false.</summary>
    public static EngageCondition ParseAudience(string text)
    {
        var parser = new EngageQueryParser(text);
        var condition = parser.Or();
        parser.Expect(TokenKind.End, "AND, OR or the end of the query");
        return condition;
    }

    private EngageCondition Or()
    {
        var left = And();
        while (Peek().Is("or"))
        {
            _next++;
            left = new AnyOf(left, And());
        }

        return left;
    }

    private EngageCondition And()
    {
        var left = Unary();
        while (Peek().Is("and"))
        {
            _next++;
            left = new AllOf(left, Unary());
        }

        return left;
    }

    private EngageCondition Unary()
    {
        var token = Peek();
        if (token.Is("not"))
        {
            _next++;
            return new NoneOf(Unary());
        }

        if (token.Kind == TokenKind.Open)
        {
            _next++;
            var inner = Or();
            Expect(TokenKind.Close, "')'");
            return inner;
        }

        if (++_conditions > MaxConditions)
        {
            throw new EngageQueryException(token.Position, $"a definition has at most {MaxConditions} conditions");
        }

        if (token.Is("event"))
        {
            var aggregate = Aggregate();
            var comparison = Compare(numeric: aggregate.Counts || aggregate.Reducer is Reducer.Sum or Reducer.Avg);
            return new EventCondition(aggregate, comparison);
        }

        if (token.Is("trait"))
        {
            _next++;
            var key = Argument("trait('key')");
            return new TraitCondition(key, Compare(numeric: false));
        }

        if (token.Is("any") || token.Is("all") || token.Is("entity"))
        {
            throw new EngageQueryException(token.Position, $"{token.Text} belongs to account and linked audiences, which Sluice does not compute: docs/engage.md lists what it does");
        }

        throw new EngageQueryException(token.Position, $"expected a condition: event('Name')….count() >= 1, trait('key') = 'value', NOT, or '(', not {token}");
    }

    private EventAggregate Aggregate()
    {
        Word("event");
        var name = Argument("event('Name')");
        string? where = null;
        EventWindow? window = null;
        EventDates? dates = null;
        while (true)
        {
            Expect(TokenKind.Dot, "'.' and a filter (where, within, between) or a reducer (count, sum, avg, min, max, mode, first, last, unique)");
            var method = Expect(TokenKind.Word, "a filter (where, within, between) or a reducer (count, sum, avg, min, max, mode, first, last, unique)");
            switch (method.Text.ToLowerInvariant())
            {
                case "where" when where is null:
                    Expect(TokenKind.Open, "'(' after where");
                    where = WhereOr();
                    Expect(TokenKind.Close, "')' to close where(");
                    Check(where, method.Position);
                    continue;
                case "within" when window is null:
                    Expect(TokenKind.Open, "'(' after within");
                    window = new EventWindow(TimeSpan.Zero, Period());
                    Expect(TokenKind.Close, "')' to close within(");
                    continue;
                case "between" when dates is null && Peek(1).Kind is TokenKind.Date or TokenKind.String:
                    Expect(TokenKind.Open, "'(' after between");
                    var from = Peek();
                    _next++;
                    Expect(TokenKind.Comma, "',' between the two dates of between(2026-11-27, 2026-11-30)");
                    var to = Peek();
                    if (to.Kind is not (TokenKind.Date or TokenKind.String))
                    {
                        throw new EngageQueryException(to.Position, "between() takes two dates, such as between(2026-11-27, 2026-11-30), or two periods, such as between(30 days, 90 days)");
                    }

                    _next++;
                    Expect(TokenKind.Close, "')' to close between(");
                    dates = EventDates.Of(from.Text, to.Text, out var why) ?? throw new EngageQueryException(from.Position, why!);

                    continue;
                case "between" when window is null && Peek(1).Kind is not (TokenKind.Date or TokenKind.String):
                    Expect(TokenKind.Open, "'(' after between");
                    var near = Period();
                    Expect(TokenKind.Comma, "',' between the two periods of between(30 days, 90 days)");
                    var far = Period();
                    Expect(TokenKind.Close, "')' to close between(");
                    if (far <= near)
                    {
                        throw new EngageQueryException(method.Position, "between(A, B) takes the events from B ago to A ago: B must be longer than A");
                    }

                    window = new EventWindow(near, far);
                    continue;
                case "where" or "within" or "between":
                    throw new EngageQueryException(method.Position, $"{method.Text}() is given twice");
                default:
                    return Reduce(name, where, window, method) with { Dates = dates };
            }
        }
    }

    private EventAggregate Reduce(string name, string? where, EventWindow? window, Token method)
    {
        Reducer reducer = method.Text.ToLowerInvariant() switch
        {
            "count" => Reducer.Count,
            "sum" => Reducer.Sum,
            "avg" => Reducer.Avg,
            "min" => Reducer.Min,
            "max" => Reducer.Max,
            "mode" => Reducer.Mode,
            "first" => Reducer.First,
            "last" => Reducer.Last,
            "unique" => Reducer.Unique,
            _ => throw new EngageQueryException(method.Position, $"'{method.Text}' is not a filter or a reducer: where, within, between; count, sum, avg, min, max, mode, first, last, unique"),
        };
        Expect(TokenKind.Open, $"'(' after {method.Text}");
        string? property = null;
        var minFrequency = 2;
        var asText = false;
        if (reducer != Reducer.Count)
        {
            Word("property");
            property = Argument("property('name')");
            if (Peek().Is("as"))
            {
                _next++;
                var type = Expect(TokenKind.Word, "a type after as: string or number");
                asText = type.Text.ToLowerInvariant() switch
                {
                    "string" when reducer is Reducer.Min or Reducer.Max => true,
                    "number" or "string" when reducer is Reducer.Min or Reducer.Max or Reducer.Mode => false,
                    _ => throw new EngageQueryException(type.Position, $"'as {type.Text}' is not taken here: min() and max() take 'as string' or 'as number', mode() 'as string' or 'as number'"),
                };
            }
            if (reducer == Reducer.Mode && Peek().Kind == TokenKind.Comma)
            {
                _next++;
                var frequency = Expect(TokenKind.Number, "the least number of times the most frequent value must occur");
                minFrequency = int.TryParse(frequency.Text, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : throw new EngageQueryException(frequency.Position, "the minimum frequency is a whole number of at least 1");
            }
        }

        Expect(TokenKind.Close, $"')' to close {method.Text}(");
        if (reducer == Reducer.Unique && Peek().Kind == TokenKind.Dot && Peek(1).Is("count"))
        {
            _next += 2;
            Expect(TokenKind.Open, "'(' after count");
            Expect(TokenKind.Close, "')' to close count(");
            reducer = Reducer.UniqueCount;
        }

        return new EventAggregate(name, where, window, reducer, property, minFrequency, asText);
    }

    /// <summary>A period: <c>30 days</c>, <c>12 hours</c>, <c>2 weeks</c> (Segment's units; windows are exact in Sluice).</summary>
    private TimeSpan Period()
    {
        if (Peek().Is("parent"))
        {
            throw new EngageQueryException(Peek().Position, "funnels (a window after a parent event, parent: 5 days) are not computed by Sluice yet: docs/engage.md lists what is");
        }

        var amount = Expect(TokenKind.Number, "a number of days or hours, such as 30 days");
        var unit = Expect(TokenKind.Word, "a unit after the number: minutes, hours, days or weeks");
        var n = double.Parse(amount.Text, CultureInfo.InvariantCulture);
        var span = unit.Text.ToLowerInvariant() switch
        {
            "minute" or "minutes" => TimeSpan.FromMinutes(n),
            "hour" or "hours" => TimeSpan.FromHours(n),
            "day" or "days" => TimeSpan.FromDays(n),
            "week" or "weeks" => TimeSpan.FromDays(7 * n),
            _ => throw new EngageQueryException(unit.Position, $"'{unit.Text}' is not a unit: minutes, hours, days or weeks"),
        };
        return span > TimeSpan.Zero && span <= TimeSpan.FromDays(3650) ? span : throw new EngageQueryException(amount.Position, "a period is more than 0 and at most 3650 days");
    }

    /// <summary>A comparison after an aggregate or a trait: an operator and a value, or a comparator such as <c>.one_of('a', 'b')</c>.</summary>
    private Comparison Compare(bool numeric)
    {
        var token = Peek();
        if (token.Kind == TokenKind.Operator)
        {
            _next++;
            if (Peek().Is("trait") || Peek().Is("property"))
            {
                throw new EngageQueryException(Peek().Position, "comparing with another trait or property (a dynamic reference) is not computed by Sluice yet: compare with a value");
            }

            var at = Peek().Position;
            var value = Value();
            if (numeric && !(value is JsonValue number && number.TryGetValue<double>(out _)))
            {
                throw new EngageQueryException(at, "a count, a sum or an average is compared with a number");
            }

            return new Comparison(token.Text, [value]);
        }

        if (token.Kind != TokenKind.Dot || Peek(1) is not { Kind: TokenKind.Word } method)
        {
            throw new EngageQueryException(token.Position, $"expected a comparison (=, !=, <, <=, >, >=, or a comparator such as .one_of('a', 'b'), .exists()), not {token}");
        }

        if (!Comparison.Methods.TryGetValue(method.Text.ToLowerInvariant(), out var name))
        {
            throw new EngageQueryException(method.Position, $"'{method.Text}' is not a comparator: {string.Join(", ", Comparison.Methods.Keys)}");
        }

        _next += 2;
        Expect(TokenKind.Open, $"'(' after {method.Text}");
        if (name is "within_last" or "within_next" or "before_last" or "after_next")
        {
            var period = Period();
            Expect(TokenKind.Close, $"')' to close {method.Text}(");
            return new Comparison(name, [], period);
        }

        var values = new List<JsonNode?>();
        // Segment's older documentation wrote lists in brackets: one_of(['a', 'b']).
        var bracketed = Peek().Kind == TokenKind.OpenBracket && ++_next > 0;
        while (Peek().Kind is not (TokenKind.Close or TokenKind.CloseBracket))
        {
            if (values.Count > 0)
            {
                Expect(TokenKind.Comma, "',' between values");
            }

            values.Add(Value());
        }

        if (bracketed)
        {
            Expect(TokenKind.CloseBracket, "']' to close the list");
        }

        Expect(TokenKind.Close, $"')' to close {method.Text}(");
        var count = name switch
        {
            "exists" or "absent" => values.Count == 0 ? null : $"{method.Text}() takes no value",
            "one_of" or "none_of" or "contains" => values.Count >= 1 ? null : $"{method.Text}() takes one value or more",
            _ => values.Count == 1 ? null : $"{method.Text}() takes one value",
        };
        if (count is not null)
        {
            throw new EngageQueryException(method.Position, count);
        }

        if (name is "before_date" or "after_date" && DateOf(values[0]) is null)
        {
            throw new EngageQueryException(method.Position, $"{method.Text}() takes an ISO 8601 date, such as '2026-01-31' or '2026-01-31T12:00:00Z'");
        }

        if (numeric && name is ">" or ">=" or "<" or "<=" or "=" or "!=" && !(values[0] is JsonValue n && n.TryGetValue<double>(out _)))
        {
            throw new EngageQueryException(method.Position, "a count, a sum or an average is compared with a number");
        }

        return new Comparison(name, values);
    }

    /// <summary>A value read as a date: ISO 8601 text (a date alone is midnight UTC).</summary>
    public static DateTimeOffset? DateOf(JsonNode? value) =>
        value is JsonValue v && v.TryGetValue<string>(out var text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? date
            : null;

    private JsonNode? Value()
    {
        var token = Peek();
        _next++;
        if (token.Is("literal"))
        {
            Expect(TokenKind.Open, "'(' after literal");
            var inner = Value();
            Expect(TokenKind.Close, "')' to close literal(");
            return inner;
        }

        return token.Kind switch
        {
            TokenKind.String or TokenKind.Date => JsonValue.Create(token.Text),
            TokenKind.Number => JsonValue.Create(double.Parse(token.Text, CultureInfo.InvariantCulture)),
            TokenKind.Word when token.Is("true") => JsonValue.Create(true),
            TokenKind.Word when token.Is("false") => JsonValue.Create(false),
            TokenKind.Word when token.Is("null") => null,
            _ => throw new EngageQueryException(token.Position, $"expected a value ('text', a number, true, false or null), not {token}"),
        };
    }

    /// <summary>A where's conditions, as FQL text over the message: <c>property('total') &gt; 100</c> is <c>properties.total &gt; 100</c>.</summary>
    private string WhereOr()
    {
        var left = WhereAnd();
        while (Peek().Is("or"))
        {
            _next++;
            left = $"({left} or {WhereAnd()})";
        }

        return left;
    }

    private string WhereAnd()
    {
        var left = WhereUnary();
        while (Peek().Is("and"))
        {
            _next++;
            left = $"({left} and {WhereUnary()})";
        }

        return left;
    }

    private string WhereUnary()
    {
        var token = Peek();
        if (token.Is("not"))
        {
            _next++;
            return $"!({WhereUnary()})";
        }

        if (token.Kind == TokenKind.Open)
        {
            _next++;
            var inner = WhereOr();
            Expect(TokenKind.Close, "')'");
            return inner;
        }

        string field;
        if (token.Is("property"))
        {
            _next++;
            field = Field("properties", Argument("property('name')"), token.Position);
        }
        else if (token.Is("context"))
        {
            _next++;
            field = Field("context", Argument("context('path')"), token.Position);
        }
        else
        {
            throw new EngageQueryException(token.Position, $"a where() condition starts with property('name') or context('path'), not {token}");
        }

        var comparison = Compare(numeric: false);
        var values = comparison.Values.Select(Fql).ToList();
        return comparison.Operator switch
        {
            // Segment's != is true only when the value is there: FQL's is the exact negation of =.
            "!=" => $"({field} != null and {field} != {values[0]})",
            "=" or "<" or "<=" or ">" or ">=" => $"{field} {comparison.Operator} {values[0]}",
            "one_of" => "(" + string.Join(" or ", values.Select(v => $"{field} = {v}")) + ")",
            "none_of" => "!(" + string.Join(" or ", values.Select(v => $"{field} = {v}")) + ")",
            "contains" => "(" + string.Join(" or ", values.Select(v => $"contains({field}, {v})")) + ")",
            "omits" => $"!contains({field}, {values[0]})",
            "starts_with" => $"match({field}, {Glob(comparison.Values[0], token.Position, "", "*")})",
            "ends_with" => $"match({field}, {Glob(comparison.Values[0], token.Position, "*", "")})",
            "exists" => $"{field} != null",
            "absent" => $"{field} = null",
            _ => throw new EngageQueryException(token.Position, $"{comparison.Operator}() compares traits, not event properties: a where() takes =, !=, <, <=, >, >=, one_of, none_of, contains, omits, starts_with, ends_with, exists, absent"),
        };
    }

    private static string Field(string root, string path, int position)
    {
        var parts = path.Split('.');
        if (parts.Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' or '-')))
        {
            throw new EngageQueryException(position, $"'{path}' is not a path Sluice can read: names of letters, digits, '_', '$' and '-', joined by '.'");
        }

        return $"{root}.{path}";
    }

    private static string Fql(JsonNode? value) => value is null ? "null" : value.ToJsonString();

    private static string Glob(JsonNode? value, int position, string before, string after)
    {
        var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new EngageQueryException(position, "starts_with() and ends_with() take text");
        if (text.IndexOfAny(['*', '?', '[', ']', '\\']) >= 0)
        {
            throw new EngageQueryException(position, "starts_with() and ends_with() in a where() take text without *, ?, [, ] or \\");
        }

        return JsonValue.Create(before + text + after).ToJsonString();
    }

    private static void Check(string fql, int position)
    {
        if (!FqlExpression.TryCompile(fql, out _, out var error))
        {
            throw new EngageQueryException(position, $"the where() condition is not one Sluice can evaluate: {error}");
        }
    }

    private void Word(string word)
    {
        var token = Peek();
        if (!token.Is(word))
        {
            throw new EngageQueryException(token.Position, $"expected {word}(…), not {token}");
        }

        _next++;
    }

    /// <summary>The one text argument of <c>name('text')</c>, after the name.</summary>
    private string Argument(string usage)
    {
        Expect(TokenKind.Open, $"'(' as in {usage}");
        var text = Expect(TokenKind.String, $"a quoted name, as in {usage}");
        Expect(TokenKind.Close, $"')' as in {usage}");
        return text.Text.Length > 0 ? text.Text : throw new EngageQueryException(text.Position, $"an empty name in {usage}");
    }

    private Token Expect(TokenKind kind, string what)
    {
        var token = Peek();
        if (token.Kind != kind)
        {
            throw new EngageQueryException(token.Position, $"expected {what}, not {token}");
        }

        _next++;
        return token;
    }

    private Token Peek(int ahead = 0) => _tokens[Math.Min(_next + ahead, _tokens.Count - 1)];

    private enum TokenKind
    {
        Word,
        String,
        Number,
        Operator,
        Date,
        Open,
        Close,
        OpenBracket,
        CloseBracket,
        Dot,
        Comma,
        Colon,
        End,
    }

    private sealed record Token(TokenKind Kind, string Text, int Position)
    {
        public bool Is(string word) => Kind == TokenKind.Word && string.Equals(Text, word, StringComparison.OrdinalIgnoreCase);

        public override string ToString() => Kind switch
        {
            TokenKind.End => "the end of the query",
            TokenKind.String => $"'{Text}'",
            _ => $"'{Text}'",
        };
    }

    private static List<Token> Lex(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '\'' or '"')
            {
                var start = i++;
                var value = new StringBuilder();
                while (i < text.Length && text[i] != c)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }

                    value.Append(text[i++]);
                }

                if (i >= text.Length)
                {
                    throw new EngageQueryException(start, "a quoted text is not closed");
                }

                i++;
                tokens.Add(new Token(TokenKind.String, value.ToString(), start));
            }
            else if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                var start = i++;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
                {
                    i++;
                }

                // An unquoted date or timestamp, as Segment writes them: 2023-12-07 or 2023-12-07T18:50:00Z.
                if (i < text.Length && text[i] == '-' && i - start == 4)
                {
                    while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '-' or ':' or '.' or '+'))
                    {
                        i++;
                    }

                    tokens.Add(new Token(TokenKind.Date, text[start..i], start));
                    continue;
                }

                if (!double.TryParse(text[start..i], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    throw new EngageQueryException(start, $"'{text[start..i]}' is not a number");
                }

                tokens.Add(new Token(TokenKind.Number, text[start..i], start));
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Word, text[start..i], start));
            }
            else if (c is '=' or '!' or '<' or '>')
            {
                var start = i++;
                if (i < text.Length && text[i] == '=')
                {
                    i++;
                }

                var op = text[start..i];
                tokens.Add(op == "!" ? throw new EngageQueryException(start, "'!' alone is not an operator: NOT, or !=") : new Token(TokenKind.Operator, op == "==" ? "=" : op, start));
            }
            else
            {
                tokens.Add(c switch
                {
                    '(' => new Token(TokenKind.Open, "(", i),
                    ')' => new Token(TokenKind.Close, ")", i),
                    '.' => new Token(TokenKind.Dot, ".", i),
                    ',' => new Token(TokenKind.Comma, ",", i),
                    ':' => new Token(TokenKind.Colon, ":", i),
                    '[' => new Token(TokenKind.OpenBracket, "[", i),
                    ']' => new Token(TokenKind.CloseBracket, "]", i),
                    _ => throw new EngageQueryException(i, $"'{c}' is not part of the query language"),
                });
                i++;
            }
        }

        tokens.Add(new Token(TokenKind.End, "", text.Length));
        return tokens;
    }
}
