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
}
