using System.Text.Json.Nodes;

namespace Sluice.Actions.Kit;

/// <summary><c>dayjs.utc(value).toISOString()</c> and the reference's "date-like" check, as dayjs 1.10.7/1.11.23 answer.</summary>
public sealed class DayjsTests
{
    [Theory]
    [InlineData("2024-03-01T10:20:30.123+02:00", "2024-03-01T08:20:30.123Z")]
    [InlineData("2024-03-01T23:30:00-05:00", "2024-03-02T04:30:00.000Z")]
    [InlineData("2024-03-01T10:20:30", "2024-03-01T10:20:30.000Z")]
    [InlineData("2024-03-01 10:20:30", "2024-03-01T10:20:30.000Z")]
    [InlineData("2024-03-01", "2024-03-01T00:00:00.000Z")]
    [InlineData("20240301", "2024-03-01T00:00:00.000Z")]
    [InlineData("2024-03-01T10:20:30.123456Z", "2024-03-01T10:20:30.123Z")]
    [InlineData("2024-03-01T10:20:30.1Z", "2024-03-01T10:20:30.100Z")]
    [InlineData("2024-03-01T10:20:30.1", "2024-03-01T10:20:30.001Z")]
    [InlineData("2024-13-45", "2025-02-14T00:00:00.000Z")]
    [InlineData("Fri, 01 Mar 2024 10:20:30 GMT", "2024-03-01T10:20:30.000Z")]
    [InlineData("1700000000", "1699-11-30T00:00:00.000Z")]
    [InlineData("2024-02-30T00:00:00Z", "2024-03-01T00:00:00.000Z")]
    [InlineData("2024-03-01T24:00:00Z", "2024-03-02T00:00:00.000Z")]
    [InlineData("2024-03-01T10:20:30z", "2024-03-01T10:20:30.000Z")]
    [InlineData("2024-03-01T10:20Z", "2024-03-01T10:20:00.000Z")]
    [InlineData("0099-01-01", "1999-01-01T00:00:00.000Z")]
    [InlineData("2024-03-01T10:20:30.123Z", "2024-03-01T10:20:30.123Z")]
    [InlineData("2024-03-01T10:20:30.123", "2024-03-01T10:20:30.123Z")]
    [InlineData("2024-03-01T10:20:30.12Z", "2024-03-01T10:20:30.120Z")]
    [InlineData("2024-03-01T10:20:30.1+01:00", "2024-03-01T09:20:30.100Z")]
    [InlineData("2024-03-01T10:20:30-05:30", "2024-03-01T15:50:30.000Z")]
    [InlineData("2024-03-01T10:20:30+0500", "2024-03-01T05:20:30.000Z")]
    [InlineData("2024/03/01 10:20", "2024-03-01T10:20:00.000Z")]
    [InlineData("2024-02-30T25:61:61", "2024-03-02T02:02:01.000Z")]
    [InlineData("0050-12-31T23:59:59.999", "1950-12-31T23:59:59.999Z")]
    [InlineData("2024-03-01t10:20:30", "2024-03-01T10:20:30.000Z")]
    [InlineData("2024-3-01", "2024-03-01T00:00:00.000Z")]
    [InlineData("0099-01-01T00:00:00.000Z", "0099-01-01T00:00:00.000Z")]
    [InlineData("2024-12-31T23:59:59.999Z", "2024-12-31T23:59:59.999Z")]
    public void Strings_read_as_dayjs_reads_them(string text, string expected)
    {
        Assert.True(Dayjs.TryParseUtc(JsonValue.Create(text), out var ms));
        Assert.Equal(expected, Dayjs.ToIsoString(ms));
    }

    [Theory]
    [InlineData("2024-03-01T10:20:30.Z")]
    [InlineData("2024-03-01T10:20:30+24:00")]
    [InlineData("2024-03-01T10:20:30+05:60")]
    public void Strings_dayjs_finds_no_date_in_are_no_date(string text) => Assert.False(Dayjs.TryParseUtc(text, out _));

    [Fact]
    public void Text_the_pattern_is_skipped_for_is_text_it_does_not_match()
    {
        var random = new Random(3);
        const string Alphabet = "0123456789--//::..TtZz+ a";
        var skipped = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(4, 26)).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);
            text = random.Next(2) == 0 ? "2024-03-01T" + text : text;
            if (!Dayjs.MayMatchDayjsPattern(text))
            {
                skipped++;
                Assert.False(Dayjs.DayjsPattern().IsMatch(text), text);
            }
        }

        Assert.True(skipped > 1_000);
    }

    [Fact]
    public void Numbers_are_epoch_milliseconds()
    {
        Assert.True(Dayjs.TryParseUtc(JsonValue.Create(1700000000000), out var ms));
        Assert.Equal("2023-11-14T22:13:20.000Z", Dayjs.ToIsoString(ms));
    }

    [Theory]
    [InlineData("not a date", false)]
    [InlineData("2024-02-32T00:00:00Z", false)]
    [InlineData("1700000000", true)]
    [InlineData("2024-03-01", true)]
    [InlineData("NaN", false)]
    [InlineData("2024-03-01T25:20:30.123Z", false)]
    [InlineData("2024-00-01T10:20:30.123Z", false)]
    [InlineData("2024-03-01T10:20:3a.123Z", false)]
    public void Date_like_is_what_the_reference_accepts(string text, bool expected) => Assert.Equal(expected, Dayjs.IsDateLike(text));

    [Theory]
    [InlineData("2024-03-01T10:20:30.123Z")]
    [InlineData("2024-02-29T00:00:00.000Z")]
    [InlineData("2023-02-29T00:00:00.000Z")]
    [InlineData("2000-02-29T00:00:00.000Z")]
    [InlineData("1900-02-29T00:00:00.000Z")]
    [InlineData("2024-04-31T00:00:00.000Z")]
    [InlineData("2024-03-01T24:00:00.000Z")]
    [InlineData("2024-03-01T23:60:00.000Z")]
    [InlineData("2024-03-01T10:20:30Z")]
    [InlineData("2024-03-01T10:20:30.123z")]
    [InlineData("0000-01-01T00:00:00.000Z")]
    [InlineData("0099-12-31T23:59:59.999Z")]
    [InlineData("9999-12-31T23:59:59.999Z")]
    [InlineData("2024-00-10T10:20:30.123Z")]
    [InlineData("2024-03-00T10:20:30.123Z")]
    public void A_text_is_its_own_ISO_string_exactly_when_parsing_and_writing_it_gives_it_back(string text) =>
        Assert.Equal(Dayjs.TryParseUtc(text, out var ms) && Dayjs.ToIsoString(ms) == text, Dayjs.IsOwnIsoString(text));

    [Theory]
    [InlineData("-1700000000", true)]
    [InlineData("1.5", true)]
    [InlineData("-1.5e+21", false)]
    [InlineData("Infinity", false)]
    public void A_number_is_date_like_when_its_epoch_seconds_are_a_date(string text, bool expected) => Assert.Equal(expected, Dayjs.IsDateLike(text));
}
