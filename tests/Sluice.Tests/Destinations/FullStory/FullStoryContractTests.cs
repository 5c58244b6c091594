using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Destinations.FullStory;

/// <summary>FullStory Cloud Mode (Actions) against a local stand-in for api.fullstory.com: exact requests, and how each answer ends.</summary>
public sealed class FullStoryContractTests : IAsyncLifetime
{
    private ContractHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await ContractHarness.StartAsync(url => $$"""
          - id: fs
            type: actions-fullstory-cloud
            sources: [web]
            settings: {apiKey: fs-key, baseUrl: '{{url}}'}
          - id: fs-v1
            type: actions-fullstory-cloud
            sources: [web]
            settings: {apiKey: fs-key, baseUrl: '{{url}}/v1realm/'}
            presets: false
            mappings:
              - name: V1 identify
                action: identifyUser
                trigger: 'type = "identify" and traits.v1 = true'
                mapping:
                  userId: {'@path': '$.userId'}
                  anonymousId: {'@path': '$.anonymousId'}
                  displayName: {'@path': '$.traits.name'}
                  email: {'@path': '$.traits.email'}
                  traits: {'@path': '$.traits'}
              - name: V1 track
                action: trackEvent
                trigger: 'type = "track" and properties.v1 = true'
                mapping:
                  userId: {'@path': '$.userId'}
                  name: {'@path': '$.event'}
                  properties: {'@path': '$.properties'}
                  timestamp: {'@path': '$.timestamp'}
        """);

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task The_track_preset_posts_the_event_to_the_v2_events_api()
    {
        await _harness.SendAsync("track", """
            {"userId":"u1","event":"Order Completed","messageId":"t-1","timestamp":"2024-03-01T10:20:30.123+02:00",
             "properties":{"Order ID":"o1","total":10.5,"items":["a","b"]}}
            """);

        var request = Assert.Single(await _harness.Service.WaitForAsync(1));
        var delivery = await _harness.DeliveryAsync("fs", "t-1", DeliveryLog.Status("delivered"));

        Assert.Equal(("POST", "/v2/events"), (request.Method, request.Path));
        AssertFullStoryHeaders(request);
        AssertJson("""{"name":"Order Completed","properties":{"OrderID":"o1","total":10.5,"items":["a","b"]},"user":{"uid":"u1"},"timestamp":"2024-03-01T08:20:30.123Z"}""", request.Body);
        Assert.Equal(("Track Event", "trackEventV2"), ((string?)delivery["mapping"], (string?)delivery["action"]));
    }

    [Fact]
    public async Task The_identify_preset_creates_the_user_with_the_v2_users_api_and_keeps_FullStorys_answer()
    {
        _harness.Service.AnswerNext(new ScriptedAnswer(200, """{"id":"fs-user-1"}"""));
        await _harness.SendAsync("identify", """
            {"userId":"user 1/é","anonymousId":"anon-1","messageId":"i-1",
             "traits":{"name":"Ada Lovelace","email":"ada@example.com","first_name":"Ada","age":36,"plan_str":"pro","is_admin":true,"address":{"street_name":"Main"}}}
            """);

        var request = Assert.Single(await _harness.Service.WaitForAsync(1));
        var delivery = await _harness.DeliveryAsync("fs", "i-1", DeliveryLog.Status("delivered"));

        Assert.Equal(("POST", "/v2/users"), (request.Method, request.Path));
        AssertFullStoryHeaders(request);
        AssertJson("""
            {"uid":"user 1/é","email":"ada@example.com","display_name":"Ada Lovelace",
             "properties":{"name":"Ada Lovelace","email":"ada@example.com","first_name":"Ada","age":36,"plan_str":"pro","is_admin":true,"address":{"street_name":"Main"},"segmentAnonymousId":"anon-1"}}
            """, request.Body);
        Assert.Equal("""{"id":"fs-user-1"}""", (string?)delivery["response"]);
    }

    [Fact]
    public async Task V1_identify_sets_camel_cased_suffixed_properties_on_the_encoded_user_path()
    {
        await _harness.SendAsync("identify", """
            {"userId":"user 1/é","anonymousId":"anon-1","messageId":"i-2",
             "traits":{"v1":true,"name":"Ada Lovelace","email":"ada@example.com","order_completed_last_30days":true}}
            """);

        var requests = await _harness.Service.WaitForAsync(2);
        var v1 = Assert.Single(requests, r => r.Path.StartsWith("/v1realm/", StringComparison.Ordinal));

        Assert.Equal("/v1realm/users/v1/individual/user%201%2F%C3%A9/customvars?integration=segment", v1.Path);
        AssertFullStoryHeaders(v1);
        AssertJson("""
            {"v1_bool":true,"name_str":"Ada Lovelace","email_str":"ada@example.com","orderCompletedLast30Days_bool":true,
             "segmentAnonymousId_str":"anon-1","email":"ada@example.com","displayName":"Ada Lovelace"}
            """, v1.Body);
    }

    [Fact]
    public async Task A_v1_404_fails_at_once_saying_the_user_must_be_identified_in_the_browser_first()
    {
        _harness.Service.AnswerNext(new ScriptedAnswer(404, """{"code":"not_found","message":"user not found"}"""));
        // The Integrations object keeps the event from the V2 destination, so the one request is V1's.
        await _harness.SendAsync("track", """{"userId":"u9","event":"Clicked","messageId":"t-404","properties":{"v1":true},"integrations":{"fs":false}}""");

        var delivery = await _harness.DeliveryAsync("fs-v1", "t-404", d => (int?)d["attempts"] >= 1);

        Assert.Equal("failed", (string?)delivery["status"]);
        Assert.StartsWith("HTTP 404 Not Found: user not found in FullStory: identify the user client-side first", (string?)delivery["reason"], StringComparison.Ordinal);
        Assert.Equal("""{"code":"not_found","message":"user not found"}""", (string?)delivery["response"]);
        Assert.Equal("/v1realm/users/v1/individual/u9/customevent?integration=segment", Assert.Single(_harness.Service.Received).Path);
    }

    [Theory]
    [InlineData(200, "delivered")]
    [InlineData(201, "delivered")]
    [InlineData(400, "failed")]
    [InlineData(401, "failed")]
    [InlineData(404, "failed")]
    [InlineData(422, "failed")]
    [InlineData(429, "retrying")]
    [InlineData(500, "retrying")]
    [InlineData(0, "retrying")]
    public async Task Each_answer_ends_in_its_status_keeping_FullStorys_words(int status, string expected)
    {
        var answer = status == 0 ? new ScriptedAnswer(200, Hang: true) : new ScriptedAnswer(status, $$"""{"code":"c{{status}}","message":"answer {{status}}"}""", RetryAfter: status == 429 ? "120" : null);

        var delivery = await _harness.FirstAttemptAsync("fs", "t-answer", answer, () => _harness.SendAsync("track", """{"userId":"u1","event":"E","messageId":"t-answer"}"""));

        Assert.Equal(expected, (string?)delivery["status"]);
        if (status is >= 400)
        {
            Assert.Equal($$"""{"code":"c{{status}}","message":"answer {{status}}"}""", (string?)delivery["response"]);
        }

        if (status == 429)
        {
            Assert.True(DateTimeOffset.Parse((string)delivery["nextAttemptAt"]!) >= _harness.Time.GetUtcNow().AddSeconds(120));
        }

        if (status == 0)
        {
            Assert.Equal("timed out after 10 s", (string?)delivery["reason"]);
        }
    }

    [Fact]
    public async Task An_event_the_payload_schema_refuses_is_skipped_with_the_references_message()
    {
        await _harness.SendAsync("track", """{"anonymousId":"a1","event":"E","messageId":"t-anon","properties":{"v1":true}}""");

        var delivery = await _harness.DeliveryAsync("fs-v1", "t-anon");

        Assert.Equal(("skipped", "The root value is missing the required field 'userId'."), ((string?)delivery["status"], (string?)delivery["reason"]));
    }

    private static void AssertFullStoryHeaders(RecordedRequest request)
    {
        Assert.Equal("Basic fs-key", request.Headers["Authorization"]);
        Assert.Equal("application/json", request.Headers["Content-Type"]);
        Assert.Equal("segment", request.Headers["Integration-Source"]);
    }

    private static void AssertJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected}\n     got {actual}");
}
