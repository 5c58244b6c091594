namespace Sluice.Destinations.FullStory;

/// <summary>Names as lodash 4.17/4.18 <c>camelCase</c> writes them (answers taken from lodash itself).</summary>
public sealed class LodashCamelCaseTests
{
    [Theory]
    [InlineData("first_name", "firstName")]
    [InlineData("HTTPStatus", "httpStatus")]
    [InlineData("foo2bar", "foo2Bar")]
    [InlineData("FOO_BAR", "fooBar")]
    [InlineData("mySQL_db", "mySqlDb")]
    [InlineData("iOS version", "iOsVersion")]
    [InlineData("10x_growth", "10XGrowth")]
    [InlineData("XMLHttpRequest", "xmlHttpRequest")]
    [InlineData("__a__b__", "aB")]
    [InlineData("don't stop", "dontStop")]
    [InlineData("Émile Zola", "emileZola")]
    [InlineData("price ($)", "price")]
    [InlineData("日本", "日本")]
    [InlineData("ünïcödé_key", "unicodeKey")]
    [InlineData("order_completed_last_30days", "orderCompletedLast30Days")]
    [InlineData("Æsir Łódź ŉ", "aesirLodzN")]
    public void Converts_like_lodash(string name, string expected) => Assert.Equal(expected, LodashCamelCase.Convert(name));

    [Fact]
    public void Deburrs_every_latin_letter_like_lodash()
    {
        // lodash.deburr of U+00C0..U+017F, as lodash 4.18.1 answers.
        const string Reference = "A A A A A A Ae C E E E E I I I I D N O O O O O × O U U U U Y Th ss a a a a a a ae c e e e e i i i i d n o o o o o ÷ o u u u u y th y "
            + "A a A a A a C c C c C c C c D d D d E e E e E e E e E e G g G g G g G g H h H h I i I i I i I i I i IJ ij J j K k k L l L l L l L l L l N n N n N n 'n N n "
            + "O o O o O o Oe oe R r R r R r S s S s S s S s T t T t T t U u U u U u U u U u U u W w Y y Y Z z Z z Z z s";
        var letters = Enumerable.Range(0xC0, 0x180 - 0xC0).Select(c => LodashCamelCase.Deburr(((char)c).ToString()));
        Assert.Equal(Reference, string.Join(' ', letters));
    }
}
