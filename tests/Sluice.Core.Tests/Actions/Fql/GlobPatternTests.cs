namespace Sluice.Actions.Fql;

public sealed class GlobPatternTests
{
    [Theory]
    [InlineData("Order Completed", "Order Completed", true)]
    [InlineData("rder Completed", "Order Completed", false)]
    [InlineData("Order", "Order Completed", false)]
    [InlineData("order completed", "Order Completed", false)]
    [InlineData("Order*", "Order Completed", true)]
    [InlineData("*Completed", "Order Completed", true)]
    [InlineData("*der*", "Order Completed", true)]
    [InlineData("*", "", true)]
    [InlineData("*", "anything at all", true)]
    [InlineData("", "", true)]
    [InlineData("", "x", false)]
    [InlineData("a**b", "ab", true)]
    [InlineData("a*b*c", "aXbYbZc", true)]
    [InlineData("a*b*c", "aXbYbZ", false)]
    [InlineData("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    [InlineData("https://*/pricing", "https://acme.example/a/pricing", true)]
    public void A_star_matches_any_run_of_characters_and_the_whole_string_must_match(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, Glob(pattern).IsMatch(text));
    }

    [Theory]
    [InlineData("Order?Completed", "Order Completed", true)]
    [InlineData("Order?Completed", "OrderCompleted", false)]
    [InlineData("???", "abc", true)]
    [InlineData("???", "ab", false)]
    [InlineData("?", "😀", true)]
    [InlineData("a?c", "a😀c", true)]
    [InlineData("??", "😀", false)]
    public void A_question_mark_matches_exactly_one_character(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, Glob(pattern).IsMatch(text));
    }

    [Theory]
    [InlineData("[abc]", "b", true)]
    [InlineData("[abc]", "d", false)]
    [InlineData("[a-z]x", "qx", true)]
    [InlineData("[a-z]x", "Qx", false)]
    [InlineData("[a-zA-Z0-9_]*", "Z_rest", true)]
    [InlineData("[!a-z]*", "Abc", true)]
    [InlineData("[!a-z]*", "abc", false)]
    [InlineData("[^0-9]", "x", true)]
    [InlineData("[^0-9]", "5", false)]
    [InlineData("v[0-9].[0-9]", "v1.2", true)]
    [InlineData("[-a]", "-", true)]
    [InlineData("[a-]", "-", true)]
    [InlineData("[\\]]", "]", true)]
    [InlineData("[😀-😂]", "😁", true)]
    public void Brackets_match_one_character_of_a_set_or_range(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, Glob(pattern).IsMatch(text));
    }

    [Theory]
    [InlineData("\\*", "*", true)]
    [InlineData("\\*", "x", false)]
    [InlineData("a\\?", "a?", true)]
    [InlineData("a\\?", "ab", false)]
    [InlineData("\\[x]", "[x]", true)]
    [InlineData("\\\\", "\\", true)]
    [InlineData("50\\%*", "50% off", true)]
    public void A_backslash_makes_the_next_character_literal(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, Glob(pattern).IsMatch(text));
    }

    [Theory]
    [InlineData("[abc", 0)]
    [InlineData("x[]", 1)]
    [InlineData("[z-a]", 0)]
    [InlineData("abc\\", 3)]
    [InlineData("[\udc00-a]", 0)]
    public void Malformed_patterns_are_rejected_with_their_index(string pattern, int index)
    {
        Assert.Null(GlobPattern.TryCreate(pattern, out var error));
        Assert.Equal(index, error.Index);
    }

    [Theory]
    [InlineData("Order*", true)]
    [InlineData("*Completed", true)]
    [InlineData("*", true)]
    [InlineData("Order", false)]
    [InlineData("*der*", false)]
    [InlineData("Ord?r*", false)]
    [InlineData("O*d", false)]
    public void Prefix_and_suffix_patterns_are_recognised(string pattern, bool expected)
    {
        Assert.Equal(expected, Glob(pattern).IsPrefixOrSuffix);
    }

    private static GlobPattern Glob(string pattern) =>
        GlobPattern.TryCreate(pattern, out var error) ?? throw new InvalidOperationException(error.Reason);
}
