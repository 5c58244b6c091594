using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Destinations.Stories;

/// <summary>Stories against a local stand-in for its API: exact requests, the identify pair, anonymous and unsupported calls, each answer's ending.</summary>
public sealed class StoriesContractTests : IAsyncLifetime
{
    private ContractHarness _harness = null!;

    // rateLimit: 0 lifts the 5-a-second default, whose waits would run on the test's stopped clock.
    public async Task InitializeAsync() => _harness = await ContractHarness.StartAsync(url => $$"""
          - id: stories
            type: stories
            sources: [web]
            rateLimit: 0
            settings: {apiKey: st-token-123, baseUrl: '{{url}}/'}
        """);

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task An_identify_merges_the_user_then_records_the_identify_on_their_timeline()
    {
        await _harness.SendAsync("identify", """
            {"userId":"u1","messageId":"i-1","traits":{"name":"Ada Lovelace","email":"ada@example.com","phone":"+44 20 1234","plan":"pro","order_completed_last_30days":true}}
            """);

        var requests = await _harness.Service.WaitForAsync(2);
        await _harness.DeliveryAsync("stories", "i-1", DeliveryLog.Status("delivered"));

        Assert.Equal([("POST", "/v1/users"), ("POST", "/v1/events")], requests.Select(r => (r.Method, r.Path)));
        Assert.All(requests, AssertStoriesHeaders);
        AssertJson("""
            {"user_id":"u1","name":"Ada Lovelace","email":"ada@example.com","phone":"+44 20 1234","attributes":{"plan":"pro","order_completed_last_30days":true}}
            """, requests[0].Body);
        AssertJson("""
            {"user_id":"u1","name":"Identify","data":{"traits":{"name":"Ada Lovelace","email":"ada@example.com","phone":"+44 20 1234","plan":"pro","order_completed_last_30days":true}}}
            """, requests[1].Body);
    }

    [Fact]
    public async Task With_sync_users_off_an_identify_only_records_the_event()
    {
        await using var harness = await ContractHarness.StartAsync(url => $$"""
              - id: stories
                type: stories
                sources: [web]
                rateLimit: 0
                settings: {apiKey: st-token-123, baseUrl: '{{url}}', syncUsers: false}
            """);

        await harness.SendAsync("identify", """{"userId":"u1","messageId":"i-off","traits":{"plan":"pro"}}""");
        await harness.DeliveryAsync("stories", "i-off", DeliveryLog.Status("delivered"));

        var request = Assert.Single(harness.Service.Received);
        Assert.Equal("/v1/events", request.Path);
        AssertJson("""{"user_id":"u1","name":"Identify","data":{"traits":{"plan":"pro"}}}""", request.Body);
    }

    [Fact]
    public async Task Without_a_name_trait_the_user_is_named_from_first_and_last_name()
    {
        await _harness.SendAsync("identify", """{"userId":"u2","messageId":"i-2","traits":{"firstName":"Grace","lastName":"Hopper"}}""");

        var merge = (await _harness.Service.WaitForAsync(1))[0];

        AssertJson("""{"user_id":"u2","name":"Grace Hopper","attributes":{"firstName":"Grace","lastName":"Hopper"}}""", merge.Body);
    }

    [Fact]
    public async Task Track_and_page_become_timeline_events_named_for_their_call_type()
    {
        await _harness.SendAsync("track", """{"userId":"u1","event":"Order Completed","messageId":"t-1","properties":{"total":10}}""");
        await _harness.DeliveryAsync("stories", "t-1", DeliveryLog.Status("delivered"));
        await _harness.SendAsync("page", """{"userId":"u1","name":"Pricing","messageId":"p-1","properties":{"path":"/pricing"}}""");

        var requests = await _harness.Service.WaitForAsync(2);
        await _harness.DeliveryAsync("stories", "p-1", DeliveryLog.Status("delivered"));

        Assert.All(requests, r => Assert.Equal(("POST", "/v1/events"), (r.Method, r.Path)));
        AssertJson("""{"user_id":"u1","name":"Track","data":{"content":"Order Completed","properties":{"total":10}}}""", requests[0].Body);
        AssertJson("""{"user_id":"u1","name":"Page","data":{"content":"Pricing","properties":{"path":"/pricing"}}}""", requests[1].Body);
    }

    [Fact]
    public async Task Anonymous_calls_are_skipped_and_screens_filtered_without_a_request()
    {
        await _harness.SendAsync("track", """{"anonymousId":"a1","event":"Viewed","messageId":"t-anon"}""");
        await _harness.SendAsync("screen", """{"userId":"u1","name":"Home","messageId":"s-1"}""");

        var anonymous = await _harness.DeliveryAsync("stories", "t-anon");
        var screen = await _harness.DeliveryAsync("stories", "s-1");

        Assert.Equal(("skipped", "Stories does not support anonymous users: the call has no userId"), ((string?)anonymous["status"], (string?)anonymous["reason"]));
        Assert.Equal(("filtered", "Stories does not take screen calls (unsupported event type)"), ((string?)screen["status"], (string?)screen["reason"]));
        Assert.Empty(_harness.Service.Received);
    }

    [Fact]
    public async Task When_the_merge_must_be_retried_the_event_waits_and_the_pair_is_sent_again()
    {
        _harness.Service.AnswerNext(new ScriptedAnswer(503, "busy"));
        await _harness.SendAsync("identify", """{"userId":"u3","messageId":"i-3","traits":{"plan":"pro"}}""");

        var retrying = await _harness.DeliveryAsync("stories", "i-3", d => (int?)d["attempts"] == 1);
        Assert.Equal(("retrying", 503), ((string?)retrying["status"], (int?)retrying["httpStatus"]));
        Assert.Single(_harness.Service.Received);

        _harness.Advance(TimeSpan.FromSeconds(1));
        await _harness.DeliveryAsync("stories", "i-3", DeliveryLog.Status("delivered"));

        Assert.Equal(["/v1/users", "/v1/users", "/v1/events"], _harness.Service.Received.Select(r => r.Path));
    }

    [Fact]
    public async Task A_merge_Stories_refuses_fails_the_identify_without_sending_the_event()
    {
        _harness.Service.AnswerNext(new ScriptedAnswer(422, """{"message":"The given data was invalid.","errors":{"email":["The email must be a valid email address."]}}"""));
        await _harness.SendAsync("identify", """{"userId":"u4","messageId":"i-4","traits":{"email":"nope"}}""");

        var failed = await _harness.DeliveryAsync("stories", "i-4", d => (int?)d["attempts"] == 1);

        Assert.Equal("failed", (string?)failed["status"]);
        Assert.Contains("The email must be a valid email address.", (string?)failed["response"], StringComparison.Ordinal);
        Assert.Single(_harness.Service.Received);
    }

    [Theory]
    [InlineData(200, "delivered", null)]
    [InlineData(201, "delivered", null)]
    [InlineData(400, "failed", null)]
    [InlineData(401, "failed", "HTTP 401 Unauthorized: Stories refused the API key: it is invalid or was revoked; not retried")]
    [InlineData(404, "failed", null)]
    [InlineData(422, "failed", null)]
    [InlineData(429, "retrying", null)]
    [InlineData(500, "retrying", null)]
    [InlineData(0, "retrying", "timed out after 10 s")]
    public async Task Each_answer_ends_in_its_status_keeping_Stories_words(int status, string expected, string? reason)
    {
        var answer = status == 0 ? new ScriptedAnswer(201, Hang: true) : new ScriptedAnswer(status, $$"""{"message":"answer {{status}}"}""", RetryAfter: status == 429 ? "60" : null);

        var delivery = await _harness.FirstAttemptAsync("stories", "t-answer", answer, () => _harness.SendAsync("track", """{"userId":"u1","event":"E","messageId":"t-answer"}"""));

        Assert.Equal(expected, (string?)delivery["status"]);
        if (reason is not null)
        {
            Assert.Equal(reason, (string?)delivery["reason"]);
        }

        if (status >= 400)
        {
            Assert.Equal($$"""{"message":"answer {{status}}"}""", (string?)delivery["response"]);
        }
    }

    private static void AssertStoriesHeaders(RecordedRequest request)
    {
        Assert.Equal("Bearer st-token-123", request.Headers["Authorization"]);
        Assert.Equal("application/json", request.Headers["Content-Type"]);
    }

    private static void AssertJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected}\n     got {actual}");
}
