using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Profiles;
using Sluice.Profiles.Identity;
using Sluice.Workspace;

namespace Sluice.Engage.Activation;

/// <summary>The messages a change sends a connected destination: their whole shape, one per identifier, and ids that a crash cannot change.</summary>
public sealed class EngageMessagesTests
{
    private static readonly long At = DateTimeOffset.Parse("2026-12-05T10:40:00Z", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    private static StoredIdentifier Id(string type, string value, long addedAt) => new(new Identifier(type, value), "web", addedAt, $"m-{value}");

    private static List<JsonObject> Bodies(IEnumerable<EngageMessage> messages) =>
        [.. messages.Select(m => JsonNode.Parse(Encoding.UTF8.GetString(m.Json))!.AsObject())];

    [Fact]
    public void An_audience_entry_is_an_identify_in_the_documented_shape()
    {
        var messages = EngageMessages.For(
            "frequent_buyers", audience: true, new EngageConnection("stories"), "Stories",
            [Id("anonymous_id", "a-ada", 1), Id("user_id", "ada", 2), Id("email", "ada@example.com", 3)],
            "p1", "true", reason: "change-7", At).ToList();

        var identify = Assert.Single(messages);
        Assert.Equal("identify", identify.Type);
        Assert.Equal("a-ada", identify.UserKey);
        Assert.Equal(
            $$$"""{"type":"identify","messageId":"{{{identify.MessageId}}}","userId":"ada","anonymousId":"a-ada","context":{"personas":{"computation_class":"audience","computation_id":"aud_frequent_buyers","computation_key":"frequent_buyers","namespace":"spa_sluice","space_id":"spa_sluice"},"library":{"name":"unknown","version":"unknown"}},"integrations":{"All":false,"Stories":true},"timestamp":"2026-12-05T10:40:00.000Z","receivedAt":"2026-12-05T10:40:00.000Z","channel":"server","version":2,"traits":{"frequent_buyers":true,"email":"ada@example.com"}}""",
            Encoding.UTF8.GetString(identify.Json));
        Assert.Matches("^personas_[0-9a-f]{32}$", identify.MessageId);
    }

    [Fact]
    public void A_profile_with_two_user_ids_gets_a_message_for_each_with_its_latest_anonymous_id_and_email()
    {
        var identifiers = new[]
        {
            Id("user_id", "ada", 1), Id("anonymous_id", "phone", 2), Id("email", "old@example.com", 3),
            Id("user_id", "ada-work", 4), Id("anonymous_id", "laptop", 5), Id("email", "ada@example.com", 6),
        };

        var bodies = Bodies(EngageMessages.For("lifetime_spend", audience: false, new EngageConnection("stitch"), "Stitch Data", identifiers, "p1", "412.5", "change-9", At));

        Assert.Equal(["ada", "ada-work"], bodies.Select(b => (string)b["userId"]!));
        Assert.All(bodies, b =>
        {
            Assert.Equal("laptop", (string?)b["anonymousId"]);
            Assert.Equal("""{"lifetime_spend":412.5,"email":"ada@example.com"}""", b["traits"]!.ToJsonString());
            Assert.Equal("trait", (string?)b["context"]!["personas"]!["computation_class"]);
            Assert.Equal("ct_lifetime_spend", (string?)b["context"]!["personas"]!["computation_id"]);
        });
        Assert.Equal(2, bodies.Select(b => (string)b["messageId"]!).Distinct().Count());
    }

    [Fact]
    public void A_profile_without_a_user_id_gets_a_message_for_each_anonymous_id()
    {
        var bodies = Bodies(EngageMessages.For("page_regulars", audience: true, new EngageConnection("hook"), "Webhook", [Id("anonymous_id", "phone", 1), Id("anonymous_id", "laptop", 2)], "p1", "true", "change-3", At));

        Assert.Equal(["phone", "laptop"], bodies.Select(b => (string)b["anonymousId"]!));
        Assert.All(bodies, b => Assert.False(b.ContainsKey("userId")));
    }

    [Fact]
    public void The_same_change_sends_the_same_ids_and_another_change_other_ids()
    {
        EngageMessage[] Send(string reason) => [.. EngageMessages.For("pro_users", audience: true, new EngageConnection("stitch") { SendTrack = true }, "Stitch Data", [Id("user_id", "ada", 1)], "p1", "true", reason, At)];

        var once = Send("change-1");
        var again = Send("change-1");

        Assert.Equal(once.Select(m => m.MessageId), again.Select(m => m.MessageId));
        Assert.Equal(once.Select(m => Encoding.UTF8.GetString(m.Json)), again.Select(m => Encoding.UTF8.GetString(m.Json)));
        Assert.Equal(2, once.Select(m => m.MessageId).Distinct().Count());
        Assert.Empty(once.Select(m => m.MessageId).Intersect(Send("change-2").Select(m => m.MessageId)));
    }

    [Theory]
    [InlineData(true, "true", "Joined VIPs")]
    [InlineData(true, "false", "Left VIPs")]
    [InlineData(false, "3", "VIP score computed")]
    public void Track_calls_carry_the_event_names_the_connection_gives(bool audience, string json, string name)
    {
        var connection = new EngageConnection("stitch") { SendIdentify = false, SendTrack = true, EnterEvent = "Joined VIPs", ExitEvent = "Left VIPs", ComputeEvent = "VIP score computed" };

        var track = Assert.Single(Bodies(EngageMessages.For("vips", audience, connection, "Stitch Data", [Id("user_id", "ada", 1), Id("email", "ada@example.com", 2)], "p1", json, "change-4", At)));

        Assert.Equal("track", (string?)track["type"]);
        Assert.Equal(name, (string?)track["event"]);
        Assert.Equal(audience ? $$$"""{"audience_key":"vips","vips":{{{json}}}}""" : $$$"""{"trait_key":"vips","vips":{{{json}}}}""", track["properties"]!.ToJsonString());
        Assert.Equal("ada@example.com", (string?)track["context"]!["traits"]!["email"]);
    }
}
