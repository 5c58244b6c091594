namespace Sluice.Actions.Fql;

public sealed class JsNumberTests
{
    [Theory]
    [InlineData("20", 20)]
    [InlineData(" 20\t\n", 20)]
    [InlineData("", 0)]
    [InlineData("   ", 0)]
    [InlineData("-1.5", -1.5)]
    [InlineData("+3", 3)]
    [InlineData("5.", 5)]
    [InlineData(".5", 0.5)]
    [InlineData("2e1", 20)]
    [InlineData("2E-1", 0.2)]
    [InlineData("0x1F", 31)]
    [InlineData("0o17", 15)]
    [InlineData("0b101", 5)]
    [InlineData("007", 7)]
    [InlineData("Infinity", double.PositiveInfinity)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    public void Text_reads_as_javascript_number_reads_it(string text, double expected)
    {
        Assert.Equal(expected, JsNumber.Parse(text));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("20px")]
    [InlineData("1_000")]
    [InlineData("-0x10")]
    [InlineData("0x")]
    [InlineData("NaN")]
    [InlineData("infinity")]
    [InlineData(".")]
    [InlineData("1e")]
    [InlineData("1,5")]
    public void Text_that_javascript_does_not_read_as_a_number_is_NaN(string text)
    {
        Assert.True(double.IsNaN(JsNumber.Parse(text)));
    }
}
