namespace Sluice.Actions.Fql;

public sealed class FqlParsingTests
{
    private static string Canonical(string text) => FqlExpression.Compile(text).Canonical;

    [Theory]
    [InlineData("a = 1 or b = 2 and c = 3", "(a = 1 or (b = 2 and c = 3))")]
    [InlineData("a = 1 and b = 2 or c = 3", "((a = 1 and b = 2) or c = 3)")]
    [InlineData("a = 1 and b = 2 or c = 3 and d = 4", "((a = 1 and b = 2) or (c = 3 and d = 4))")]
    [InlineData("a = 1 or b = 2 or c = 3", "(a = 1 or b = 2 or c = 3)")]
    [InlineData("!a = 1 and b = 2", "(!(a = 1) and b = 2)")]
    [InlineData("not a = 1 or b = 2", "(!(a = 1) or b = 2)")]
    [InlineData("!(a = 1 or b = 2)", "!(a = 1 or b = 2)")]
    [InlineData("!!a = 1", "!!(a = 1)")]
    [InlineData("not not a = 1", "!!(a = 1)")]
    [InlineData("!contains(a, \"x\") or b = 2", "(!contains(a, \"x\") or b = 2)")]
    public void And_binds_tighter_than_or_and_negation_binds_tightest(string text, string canonical)
    {
        Assert.Equal(canonical, Canonical(text));
    }

    [Theory]
    [InlineData("(a = 1 or b = 2) and c = 3", "((a = 1 or b = 2) and c = 3)")]
    [InlineData("a = 1 and (b = 2 or (c = 3 and (d = 4 or e = 5)))", "(a = 1 and (b = 2 or (c = 3 and (d = 4 or e = 5))))")]
    [InlineData("((a = 1))", "a = 1")]
    [InlineData("( ( a = 1 ) )", "a = 1")]
    [InlineData("!((a = 1) or (b = 2))", "!(a = 1 or b = 2)")]
    public void Parentheses_nest_to_any_depth(string text, string canonical)
    {
        Assert.Equal(canonical, Canonical(text));
    }

    [Theory]
    [InlineData("a = \"x\"", "a = \"x\"")]
    [InlineData("a = 'x'", "a = \"x\"")]
    [InlineData("a = 'say \"hi\"'", "a = \"say \\\"hi\\\"\"")]
    [InlineData("a = \"it's\"", "a = \"it's\"")]
    [InlineData("a = 'it\\'s'", "a = \"it's\"")]
    [InlineData("a = \"back\\\\slash\"", "a = \"back\\\\slash\"")]
    [InlineData("a = \"C:\\temp\"", "a = \"C:\\\\temp\"")]
    [InlineData("a = \"\"", "a = \"\"")]
    [InlineData("a = \"two\nlines\"", "a = \"two\nlines\"")]
    public void Strings_take_either_quote_and_backslash_escapes_only_quotes_and_backslash(string text, string canonical)
    {
        Assert.Equal(canonical, Canonical(text));
    }

    [Theory]
    [InlineData("a > 1e3", "a > 1000")]
    [InlineData("a > 1E3", "a > 1000")]
    [InlineData("a > 2.5e-3", "a > 0.0025")]
    [InlineData("a > -1", "a > -1")]
    [InlineData("a > +1.5", "a > 1.5")]
    [InlineData("a = 1.50", "a = 1.5")]
    [InlineData("a = 007", "a = 7")]
    public void Numbers_have_an_optional_sign_fraction_and_exponent(string text, string canonical)
    {
        Assert.Equal(canonical, Canonical(text));
    }

    [Theory]
    [InlineData("type = track", "type = \"track\"")]
    [InlineData("event = Order\\ Completed", "event = \"Order Completed\"")]
    [InlineData("type = a.b", "type = \"a.b\"")]
    [InlineData("a = true", "a = true")]
    [InlineData("a = false", "a = false")]
    [InlineData("a = null", "a = null")]
    [InlineData("a = True", "a = \"True\"")]
    [InlineData("a = NULL", "a = \"NULL\"")]
    public void A_bare_word_is_a_string_and_only_lower_case_true_false_null_are_literals(string text, string canonical)
    {
        Assert.Equal(canonical, Canonical(text));
    }

    [Theory]
    [InlineData("properties.my\\ key = 1", new[] { "properties", "my key" })]
    [InlineData("properties.a\\.b = 1", new[] { "properties", "a.b" })]
    [InlineData("properties.items.0.price = 1", new[] { "properties", "items", "0", "price" })]
    [InlineData("properties.first-name = 1", new[] { "properties", "first-name" })]
    [InlineData("properties.\\$browser = 1", new[] { "properties", "$browser" })]
    [InlineData("properties.prénom = 1", new[] { "properties", "prénom" })]
    [InlineData("\\and = 1", new[] { "and" })]
    [InlineData("traits.email = 1", new[] { "traits", "email" })]
    public void A_field_path_splits_at_unescaped_dots(string text, string[] segments)
    {
        var path = ParsedPath(text);
        Assert.Equal(segments, path.Names);
    }

    [Theory]
    [InlineData("properties.my\\ key = \"v\"")]
    [InlineData("properties.a\\.b = 1 and \\and = 2")]
    [InlineData("properties.\\0x = 1")]
    [InlineData("a = 1 or !(b > -2.5 and contains(c, \"x\\\"y\")) or match(d, \"a\\\\*\")")]
    [InlineData("x = 'single' and y = 1e21")]
    public void The_canonical_form_compiles_to_the_same_tree(string text)
    {
        var canonical = Canonical(text);
        Assert.Equal(canonical, Canonical(canonical));
    }

    [Fact]
    public void Whitespace_between_tokens_is_optional_and_may_include_newlines()
    {
        Assert.Equal("((a = 1 or b > 2) and !contains(c, \"x\"))", Canonical("(a=1\n\tor b>2)\r\nand !contains(c,\"x\")"));
    }

    [Fact]
    public void Contains_and_match_are_ordinary_field_names_when_not_called()
    {
        Assert.Equal("(contains = 1 and match = 2)", Canonical("contains = 1 and match = 2"));
    }

    private static FieldPath ParsedPath(string text)
    {
        var root = FqlParser.Parse(text, []);
        var equality = Assert.IsType<EqualityNode>(root);
        return equality.Path;
    }
}
