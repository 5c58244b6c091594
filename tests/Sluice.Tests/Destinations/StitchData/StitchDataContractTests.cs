using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Destinations.StitchData;

/// <summary>Stitch Data against a local stand-in for its Segment endpoint: the stored message as the body, auth only with a key, each answer's ending.</summary>
public sealed class StitchDataContractTests : IAsyncLifetime
{
    private ContractHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await ContractHarness.StartAsync(url => $$"""
          - id: stitch
            type: stitch-data
            sources: [web]
            settings: {endpoint: '{{url}}/v1/segment/abc123?client=9', apiKey: stitch-key}
          - id: stitch-keyless
            type: stitch-data
            sources: [web]
            settings: {endpoint: '{{url}}/keyless', apiKey: ' '}
        """);

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Theory]
    [InlineData("track", """{"userId":"u1","event":"Order Completed","properties":{"total":10}}""")]
    [InlineData("page", """{"userId":"u1","name":"Pricing"}""")]
    [InlineData("identify", """{"userId":"u1","traits":{"plan":"pro","order_completed_last_30days":true}}""")]
    [InlineData("group", """{"userId":"u1","groupId":"g1","traits":{"name":"Acme"}}""")]
    [InlineData("alias", """{"userId":"u1","previousId":"a1"}""")]
    [InlineData("track", """{"anonymousId":"anon-7","event":"Anonymous Event"}""")]
    public async Task Each_call_is_posted_as_the_stored_message(string type, string json)
    {
        var call = JsonNode.Parse(json)!.AsObject();
        call["messageId"] = $"{type}-1";
        call["writeKey"] = InProcessServer.WriteKey;
        await _harness.SendAsync(type, call.ToJsonString());

        var requests = await _harness.Service.WaitForAsync(2);
        var stored = Assert.Single(await _harness.Sluice.EventsAsync());
        var keyed = Assert.Single(requests, r => r.Path.StartsWith("/v1/segment/", StringComparison.Ordinal));
        var keyless = Assert.Single(requests, r => r.Path == "/keyless");

        Assert.Equal(("POST", "/v1/segment/abc123?client=9"), (keyed.Method, keyed.Path));
        Assert.True(JsonNode.DeepEquals(stored, JsonNode.Parse(keyed.Body)), $"expected the stored message {stored!.ToJsonString()}\n got {keyed.Body}");
        Assert.DoesNotContain(InProcessServer.WriteKey, keyed.Body, StringComparison.Ordinal);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("stitch-key:")), keyed.Headers["Authorization"]);
        Assert.Equal("application/json", keyed.Headers["Content-Type"]);
        Assert.False(keyless.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Screens_are_filtered_as_unsupported()
    {
        await _harness.SendAsync("screen", """{"userId":"u1","name":"Home","messageId":"s-1"}""");

        var delivery = await _harness.DeliveryAsync("stitch", "s-1");

        Assert.Equal(("filtered", "Stitch Data does not take screen calls (unsupported event type)"), ((string?)delivery["status"], (string?)delivery["reason"]));
        Assert.Empty(_harness.Service.Received);
    }

    [Theory]
    [InlineData(200, "delivered")]
    [InlineData(201, "delivered")]
    [InlineData(400, "failed")]
    [InlineData(401, "failed")]
    [InlineData(404, "failed")]
    [InlineData(413, "failed")]
    [InlineData(422, "failed")]
    [InlineData(501, "failed")]
    [InlineData(429, "retrying")]
    [InlineData(500, "retrying")]
    [InlineData(503, "retrying")]
    [InlineData(0, "retrying")]
    public async Task Each_answer_ends_in_its_status_keeping_Stitchs_words(int status, string expected)
    {
        var answer = status == 0 ? new ScriptedAnswer(200, Hang: true) : new ScriptedAnswer(status, $$"""{"error":"answer {{status}}"}""", RetryAfter: status == 429 ? "60" : null);
        await using var harness = await ContractHarness.StartAsync(url => $$"""
              - id: stitch
                type: stitch-data
                sources: [web]
                settings: {endpoint: '{{url}}/in'}
            """);

        var delivery = await harness.FirstAttemptAsync("stitch", "t-answer", answer, () => harness.SendAsync("track", """{"userId":"u1","event":"E","messageId":"t-answer"}"""));

        Assert.Equal(expected, (string?)delivery["status"]);
        if (status >= 400)
        {
            Assert.Equal($$"""{"error":"answer {{status}}"}""", (string?)delivery["response"]);
        }
    }
}
