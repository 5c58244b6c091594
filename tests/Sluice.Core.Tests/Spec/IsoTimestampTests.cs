namespace Sluice.Spec;

public sealed class IsoTimestampTests
{
    [Theory]
    [InlineData("2026-11-23T10:20:30.123Z", "2026-11-23T10:20:30.123Z")]
    [InlineData("2026-11-23T10:20:30Z", "2026-11-23T10:20:30.000Z")]
    [InlineData("2026-11-23T10:20:30.1239999Z", "2026-11-23T10:20:30.123Z")]
    [InlineData("2026-11-23T12:20:30.5+02:00", "2026-11-23T10:20:30.500Z")]
    [InlineData("2026-11-23T10:20:30", "2026-11-23T10:20:30.000Z")]
    [InlineData("2015-2-02T00:30:08.276Z", "2015-02-02T00:30:08.276Z")]
    public void Parses_ISO_8601_leniently_and_formats_UTC_with_milliseconds(string text, string expected)
    {
        Assert.True(IsoTimestamp.TryParseMilliseconds(text, out var ms));
        Assert.Equal(expected, IsoTimestamp.Format(ms));
    }

    [Theory]
    [InlineData("")]
    [InlineData("now")]
    [InlineData("Tuesday")]
    [InlineData("2026-02-30T00:00:00Z")]
    public void Rejects_what_is_not_a_date_time(string text)
    {
        Assert.False(IsoTimestamp.TryParseMilliseconds(text, out _));
    }

    [Theory]
    [InlineData(0L, "1970-01-01T00:00:00.000Z")]
    [InlineData(-1L, "1969-12-31T23:59:59.999Z")]
    [InlineData(-62135596800000L, "0001-01-01T00:00:00.000Z")]
    [InlineData(253402300799999L, "9999-12-31T23:59:59.999Z")]
    [InlineData(951782400000L, "2000-02-29T00:00:00.000Z")]
    public void Formats_the_edges_of_the_range_with_four_digit_years_and_three_digit_milliseconds(long milliseconds, string expected)
    {
        Assert.Equal(expected, IsoTimestamp.Format(milliseconds));
    }

    [Fact]
    public void Formats_as_DateTime_formats_the_wire_pattern_across_the_whole_range()
    {
        var random = new Random(17);
        Span<char> buffer = stackalloc char[32];
        for (var i = 0; i < 100_000; i++)
        {
            var milliseconds = random.NextInt64(-62135596800000L, 253402300800000L);
            var expected = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds).UtcDateTime
                .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

            Assert.Equal(expected, IsoTimestamp.Format(milliseconds));
            Assert.True(IsoTimestamp.TryFormat(milliseconds, buffer, out var written));
            Assert.Equal(expected, buffer[..written].ToString());
        }

        Assert.False(IsoTimestamp.TryFormat(0, buffer[..23], out _));
    }
}
