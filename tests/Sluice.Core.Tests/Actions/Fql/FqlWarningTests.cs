namespace Sluice.Actions.Fql;

public sealed class FqlWarningTests
{
    [Theory]
    [InlineData("type = \"track\"")]
    [InlineData("type = \"track\" and (event = \"A\" or event = \"B\")")]
    [InlineData("properties.total > 20 and traits.vip = false")]
    [InlineData("properties.total = 30 or properties.coupon != null")]
    [InlineData("userId = true or userId = null or name = null")]
    [InlineData("match(event, \"Order*\") or match(event, \"*Completed\")")]
    [InlineData("properties.my\\ key = \"v\"")]
    [InlineData("properties.total=30")]
    [InlineData("type = \"track\" and (event = \"A\" or contains(event, \"B\"))")]
    public void Expressions_that_segment_reads_the_same_way_have_no_warnings(string text)
    {
        Assert.Empty(FqlExpression.Compile(text).Warnings);
    }

    [Fact]
    public void A_negated_function_warns_only_that_missing_and_non_string_fields_differ()
    {
        var warnings = FqlExpression.Compile("!contains(event, \"B\") and !match(name, \"Home*\")").Warnings;
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.Contains("missing or not a string", w, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("event = 'Order Completed'", 8, "single quotes")]
    [InlineData("type = \"a\" and event = \"b\" or type = \"c\"", 27, "mixed without parentheses")]
    [InlineData("type = \"a\" or type = \"c\" and event = \"b\"", 11, "mixed without parentheses")]
    [InlineData("properties.flag != true", 19, "compares != true with the text \"true\"")]
    [InlineData("properties.total != 5", 20, "missing or not a number")]
    [InlineData("userId = 123", 9, "not with the number 123")]
    [InlineData("name = true", 7, "not with the boolean true")]
    [InlineData("event = null", 8, "the text \"null\"")]
    [InlineData("!(type = \"track\")", 0, "ignores a '!'")]
    [InlineData("not type = \"track\"", 0, "ignores 'not'")]
    [InlineData("!contains(event, \"x\")", 0, "missing or not a string")]
    [InlineData("((type = \"track\"))", 1, "parentheses inside parentheses")]
    [InlineData("foo = \"bar\"", 0, "ignores conditions on 'foo'")]
    [InlineData("properties.items.0.price = 7", 0, "does not index arrays")]
    [InlineData("properties.a\\.b = 1", 0, "splits names at every dot")]
    [InlineData("properties.count > 1e3", 19, "does not read 1e3 as a number")]
    [InlineData("match(event, \"rder Completed\")", 13, "prefix")]
    [InlineData("match(event, \"*der*\")", 13, "prefix")]
    [InlineData("contains(type, \"tra\")", 9, "ignores contains() on type")]
    [InlineData("properties.total>20", 16, "without spaces")]
    [InlineData("properties.total != 5 and x !=5", 28, "without spaces")]
    [InlineData("event = \"a\\\"b\"", 8, "no backslash escapes")]
    [InlineData("properties.total > \"x\"", 19, "never true")]
    [InlineData("type = \"track\"\r\n", 14, "carriage return")]
    [InlineData("(contains(event, \"x\") or type = \"track\")", 1, "put contains() last in its group")]
    [InlineData("type = \"x\" and (!match(userId, \"*o\") or type = \"y\")", 17, "put match() last in its group")]
    [InlineData("type = \"a\" or(type = \"b\")", 11, "put a space before '('")]
    [InlineData("! contains(event, \"x\")", 0, "not directly followed by a name or '('")]
    [InlineData("properties.prénom = \"x\"", 0, "non-ASCII")]
    [InlineData("properties.tags.length > 0", 0, "'.length'")]
    [InlineData("userId > true", 9, "never true")]
    public void Constructs_that_segment_reads_differently_are_warned_about_with_their_position(string text, int position, string fragment)
    {
        var warnings = FqlExpression.Compile(text).Warnings;
        Assert.Contains(warnings, w => w.StartsWith($"position {position}: ", StringComparison.Ordinal) && w.Contains(fragment, StringComparison.Ordinal));
    }
}
