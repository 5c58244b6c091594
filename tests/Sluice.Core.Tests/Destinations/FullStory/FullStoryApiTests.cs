using System.Text.Json.Nodes;

namespace Sluice.Destinations.FullStory;

public sealed class FullStoryApiTests
{
    [Theory]
    [InlineData("2024-03-01T10:20:30.123+02:00", "2024-03-01T08:20:30.123Z")]
    [InlineData("1700000000", "2023-11-14T22:13:20.000Z")]
    [InlineData("1700000000123", "2023-11-14T22:13:20.123Z")]
    [InlineData("20240301", "2024-03-01T00:00:00.000Z")]
    [InlineData("not a date", null)]
    [InlineData("", null)]
    public void Timestamps_are_dayjs_UTC_but_digit_strings_are_epoch_time(string value, string? expected) =>
        Assert.Equal(expected, FullStoryApi.Timestamp(JsonValue.Create(value)));

    [Fact]
    public void A_number_timestamp_is_epoch_milliseconds_and_zero_means_none()
    {
        Assert.Equal("2023-11-14T22:13:20.000Z", FullStoryApi.Timestamp(JsonValue.Create(1700000000000)));
        Assert.Null(FullStoryApi.Timestamp(JsonValue.Create(0)));
    }

    [Theory]
    [InlineData("user 1/é", "user%201%2F%C3%A9")]
    [InlineData("/?#[]@!$&'()*+,;= %", "%2F%3F%23%5B%5D%40!%24%26%27()*%2B%2C%3B%3D%20%25")]
    [InlineData("a-b_c.d~e", "a-b_c.d~e")]
    public void User_ids_are_escaped_as_on_Segments_wire(string userId, string expected) => Assert.Equal(expected, FullStoryApi.UrlComponent(userId));

    [Fact]
    public void Deleting_a_user_needs_a_user_id_and_sends_DELETE_v2_users()
    {
        var settings = new JsonObject { ["apiKey"] = "k", ["baseUrl"] = "http://fs.test/" };

        var request = FullStoryDestination.Definition.OnDelete!(settings, "user 1");

        Assert.Equal(("DELETE", "http://fs.test/v2/users?uid=user%201", null), (request.Method, request.Url.AbsoluteUri, request.Body));
        Assert.Contains(new KeyValuePair<string, string>("Authorization", "Basic k"), request.Headers);
        Assert.Equal("User Id is required for user deletion.", Assert.Throws<Sluice.Actions.Kit.DeliverySkippedException>(() => FullStoryDestination.Definition.OnDelete!(settings, null)).Message);
    }

    [Theory]
    [InlineData("""{"role":"ADMIN"}""", "the key's role is ADMIN")]
    [InlineData("""{"role":"MEMBER"}""", "the key's role is MEMBER: deleting users needs an Admin or Architect key")]
    [InlineData("not json", null)]
    public void The_me_answer_reports_the_keys_role(string body, string? expected) => Assert.Equal(expected, FullStoryApi.DescribeKey(body));
}
