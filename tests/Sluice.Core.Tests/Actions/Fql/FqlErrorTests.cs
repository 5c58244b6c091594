namespace Sluice.Actions.Fql;

public sealed class FqlErrorTests
{
    [Theory]
    [InlineData("", 0, "expected a condition")]
    [InlineData("   ", 3, "expected a condition")]
    [InlineData("type = ", 7, "expected a value after '='")]
    [InlineData("properties.total >", 18, "expected a value after '>'")]
    [InlineData("type", 4, "expected an operator")]
    [InlineData("type \"track\"", 5, "expected an operator")]
    [InlineData("type = \"track", 7, "no closing \"")]
    [InlineData("type = 'track", 7, "no closing '")]
    [InlineData("type = \"track\" & event = \"x\"", 15, "write 'and'")]
    [InlineData("type = \"track\" || event = \"x\"", 15, "write 'or'")]
    [InlineData("type == \"track\"", 5, "write '='")]
    [InlineData("type = \"track\" OR type = \"page\"", 15, "write 'or'")]
    [InlineData("NOT type = \"track\"", 4, "write 'not'")]
    [InlineData("type = \"a\" and", 14, "expected a condition after 'and'")]
    [InlineData("or type = \"a\"", 0, "expected a condition")]
    [InlineData("type = \"a\" or or type = \"b\"", 14, "expected a condition after 'or'")]
    [InlineData("type = \"a\" type = \"b\"", 11, "expected 'and', 'or' or the end")]
    [InlineData("(type = \"a\"", 11, "expected ')' to close the '(' at position 0")]
    [InlineData("type = \"a\")", 10, "no matching '('")]
    [InlineData("()", 1, "inside the parentheses")]
    [InlineData("contains(event)", 14, "takes two arguments")]
    [InlineData("contains(event, \"a\", \"b\")", 19, "takes two arguments")]
    [InlineData("contains(\"x\", event)", 9, "expected a field")]
    [InlineData("contains(event, )", 16, "second argument of contains()")]
    [InlineData("match(event, \"[abc\")", 13, "no closing ']'")]
    [InlineData("lowercase(event) = \"x\"", 0, "unknown function 'lowercase'")]
    [InlineData("properties.items[0].price = 7", 16, "unexpected character '['")]
    [InlineData("properties.tags in [\"a\"]", 16, "the 'in' operator is not supported")]
    [InlineData("properties.tags = [\"a\"]", 18, "lists are not supported")]
    [InlineData("properties.$x = 1", 11, "escape it with a backslash")]
    [InlineData("properties.a$b = 1", 12, "escape it with a backslash")]
    [InlineData("properties. = 1", 11, "expected a field name after '.'")]
    [InlineData("a\\", 1, "nothing to escape")]
    [InlineData("properties.x = 1.", 17, "expected a digit after the decimal point")]
    [InlineData("properties.x = 3d", 15, "is not a number")]
    [InlineData("properties.x = 1e999", 15, "too large")]
    [InlineData("true", 0, "expected a condition")]
    [InlineData("type = and", 7, "expected a value after '='")]
    [InlineData("type = \"a\" and\u00a0event = \"b\"", 14, "unexpected character")]
    public void Invalid_text_is_rejected_with_the_position_and_the_reason(string text, int position, string reason)
    {
        Assert.False(FqlExpression.TryCompile(text, out var expression, out var error));
        Assert.Null(expression);
        Assert.Equal(position, error.Position);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.Equal($"position {position}: {error.Reason}", error.Message);
    }

    [Fact]
    public void Compile_throws_an_exception_carrying_the_error()
    {
        var e = Assert.Throws<FqlException>(() => FqlExpression.Compile("type = "));
        Assert.Equal(7, e.Position);
        Assert.Equal("position 7: expected a value after '=', found the end of the text", e.Message);
    }

    [Fact]
    public void Nesting_is_bounded_so_hostile_text_cannot_overflow_the_stack()
    {
        var deep = new string('(', 100_000) + "a = 1" + new string(')', 100_000);
        Assert.False(FqlExpression.TryCompile(deep, out _, out var error));
        Assert.Contains("nests deeper than", error.Reason, StringComparison.Ordinal);

        var negations = new string('!', 100_000) + "a = 1";
        Assert.False(FqlExpression.TryCompile(negations, out _, out _));

        Assert.True(FqlExpression.TryCompile(new string('(', 60) + "a = 1" + new string(')', 60), out _, out _));
    }

    [Fact]
    public void Any_text_either_compiles_or_is_rejected_and_nothing_throws()
    {
        // Fragments of FQL glued at random: mostly invalid, sometimes valid in odd ways.
        string[] pieces =
        [
            "type", "properties.a", "traits.b.0", " ", "=", "!=", "<", ">=", "!", "not ", " and ", " or ", "(", ")",
            "\"x\"", "'y'", "\\", "1", "-2.5e3", "1.", "contains", "match", ",", "\"*[a-\"", "true", "null", ".", "\r", "é", "$", "[",
        ];
        var random = new Random(20261123);
        using var document = System.Text.Json.JsonDocument.Parse("""{"type":"x","properties":{"a":1},"traits":{"b":["s"]}}""");
        for (var i = 0; i < 20_000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => pieces[random.Next(pieces.Length)]));
            if (FqlExpression.TryCompile(text, out var expression, out var error))
            {
                expression.Matches(document.RootElement);
                Assert.Equal(expression.Canonical, FqlExpression.Compile(expression.Canonical).Canonical);
            }
            else
            {
                Assert.InRange(error.Position, 0, text.Length);
            }
        }
    }

    [Fact]
    public void Long_chains_of_and_and_or_are_fine()
    {
        var conditions = Enumerable.Range(0, 10_000).Select(i => $"properties.p{i} = {i}");
        var expression = FqlExpression.Compile(string.Join(" or ", conditions) + " and type = \"track\"");
        using var document = System.Text.Json.JsonDocument.Parse("""{"type":"track","properties":{"p9999":9999}}""");
        Assert.True(expression.Matches(document.RootElement));
    }
}
