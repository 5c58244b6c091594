using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Sluice.Delivery;
using Sluice.Infrastructure;

namespace Sluice.Delivery;

/// <summary>Events travel through the Tracking API, the router and the dispatcher to a local stand-in for a webhook receiver.</summary>
public sealed class WebhookDeliveryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-23T00:00:00Z"));
    private RecordingServer _receiver = null!;
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync()
    {
        _receiver = await RecordingServer.StartAsync();
        _sluice = await InProcessServer.StartAsync(
            o => o with { Delivery = new DeliveryOptions { Random = () => 0.999 } },
            workspaceYaml: $$"""
                sources:
                  - {id: web, writeKey: {{InProcessServer.WriteKey}}}
                destinations:
                  - id: hook
                    type: webhook
                    sources: [web]
                    settings: {sharedSecret: shh}
                    mappings:
                      - name: Orders
                        action: send
                        trigger: 'type = "track" and event = "Order Completed"'
                        mapping:
                          url: {{_receiver.BaseUrl}}/orders
                          method: POST
                          headers: {X-Source: sluice}
                          data:
                            order: {'@path': '$.properties.order_id'}
                            total: {'@path': '$.properties.total'}
                      - name: Everything
                        action: send
                        trigger: 'type = "identify"'
                        mapping:
                          url: {{_receiver.BaseUrl}}/all
                          method: POST
                          data: {'@path': '$.'}
                      - name: Broken
                        action: send
                        trigger: 'type = "page"'
                        mapping:
                          method: POST
                      - name: Not HTTP
                        action: send
                        trigger: 'type = "alias"'
                        mapping:
                          url: ftp://files.example/in
                          method: POST
                    filters:
                      - name: no test users
                        if: 'traits.test = true'
                        drop: true
                """,
            time: _time);
    }

    public async Task DisposeAsync()
    {
        await _sluice.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    /// <summary>Moves the clock and wakes the dispatcher, which otherwise looks again within a second of real time.</summary>
    private void Advance(TimeSpan by)
    {
        _time.Advance(by);
        ((Dispatcher)_sluice.Services.GetService(typeof(Dispatcher))!).Notify();
    }

    private Task<JsonObject> DeliveryAsync(string messageId, Func<JsonObject, bool>? until = null) => DeliveryLog.WaitForAsync(_sluice.Admin, "hook", messageId, until);

    [Fact]
    public async Task A_matching_event_is_mapped_and_posted_to_the_receiver_and_logged_as_delivered()
    {
        await _sluice.PostAsync("/v1/track", """{"userId":"u","event":"Order Completed","messageId":"m-1","properties":{"order_id":"o-9","total":12.5}}""");

        var request = Assert.Single(await _receiver.WaitForAsync(1));
        var delivery = await DeliveryAsync("m-1", d => (string?)d["status"] == "delivered");

        Assert.Equal("/orders", request.Path);
        Assert.Equal("""{"order":"o-9","total":12.5}""", request.Body);
        Assert.Equal("sluice", request.Headers["X-Source"]);
        Assert.Equal(40, request.Headers["X-Signature"].Length);
        Assert.Equal("Orders", (string?)delivery["mapping"]);
        Assert.Equal(200, (int?)delivery["httpStatus"]);
        Assert.Equal(1, (int?)delivery["attempts"]);
    }

    [Fact]
    public async Task Retryable_answers_are_retried_with_growing_gaps_honouring_Retry_After_until_delivered()
    {
        _receiver.AnswerNext(new ScriptedAnswer(500, "down"), new ScriptedAnswer(503), new ScriptedAnswer(429, "slow down", RetryAfter: "30"));
        await _sluice.PostAsync("/v1/identify", """{"userId":"u","messageId":"m-2"}""");

        var first = await DeliveryAsync("m-2", d => (int?)d["attempts"] == 1);
        Advance(TimeSpan.FromMilliseconds(999));
        var second = await DeliveryAsync("m-2", d => (int?)d["attempts"] == 2);
        Advance(TimeSpan.FromMilliseconds(1_998));
        var third = await DeliveryAsync("m-2", d => (int?)d["attempts"] == 3);
        Advance(TimeSpan.FromSeconds(30));
        var done = await DeliveryAsync("m-2", d => (string?)d["status"] == "delivered");

        Assert.Equal(("retrying", 500, "down"), ((string?)first["status"], (int?)first["httpStatus"], (string?)first["response"]));
        Assert.Equal(TimeSpan.FromMilliseconds(999), Gap(first));
        Assert.Equal(TimeSpan.FromMilliseconds(1_998), Gap(second));
        Assert.Equal(TimeSpan.FromSeconds(30), Gap(third));
        Assert.Equal(4, (int?)done["attempts"]);
        Assert.Equal(4, (await _receiver.WaitForAsync(4)).Count);

        static TimeSpan Gap(JsonObject d) => DateTimeOffset.Parse((string)d["nextAttemptAt"]!) - DateTimeOffset.Parse((string)d["updatedAt"]!);
    }

    [Fact]
    public async Task Final_records_are_pruned_once_older_than_the_retention()
    {
        await _sluice.PostAsync("/v1/identify", """{"userId":"u","messageId":"m-old"}""");
        await DeliveryAsync("m-old", d => (string?)d["status"] == "delivered");

        Advance(TimeSpan.FromDays(6));
        ((DeliveryLogPruner)_sluice.Services.GetService(typeof(DeliveryLogPruner))!).PruneOnce();
        var kept = await _sluice.Admin.GetStringAsync("/api/v1/destinations/hook/deliveries");
        Advance(TimeSpan.FromDays(2));
        ((DeliveryLogPruner)_sluice.Services.GetService(typeof(DeliveryLogPruner))!).PruneOnce();
        var pruned = await _sluice.Admin.GetStringAsync("/api/v1/destinations/hook/deliveries");

        Assert.Contains("m-old", kept, StringComparison.Ordinal);
        Assert.DoesNotContain("m-old", pruned, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_that_does_not_answer_within_the_timeout_is_retried()
    {
        _receiver.AnswerNext(new ScriptedAnswer(200, Hang: true));
        await _sluice.PostAsync("/v1/identify", """{"userId":"u","messageId":"m-slow"}""");
        await _receiver.WaitForAsync(1);

        Advance(TimeSpan.FromSeconds(10));
        var timedOut = await DeliveryAsync("m-slow", d => (int?)d["attempts"] == 1);
        Advance(TimeSpan.FromSeconds(1));
        var delivered = await DeliveryAsync("m-slow", d => (string?)d["status"] == "delivered");

        Assert.Equal("retrying", (string?)timedOut["status"]);
        Assert.Equal("timed out after 10 s", (string?)timedOut["reason"]);
        Assert.Equal(2, (int?)delivered["attempts"]);
    }

    [Fact]
    public async Task A_request_that_cannot_be_sent_fails_at_once_saying_why()
    {
        await _sluice.PostAsync("/v1/alias", """{"userId":"u","previousId":"a","messageId":"m-ftp"}""");

        var delivery = await DeliveryAsync("m-ftp", d => (string?)d["status"] == "failed");

        Assert.StartsWith("the request cannot be sent:", (string?)delivery["reason"], StringComparison.Ordinal);
        Assert.Equal(1, (int?)delivery["attempts"]);
    }

    [Theory]
    [InlineData("""{"status":"3"}""")]
    [InlineData("""{"status":"retrying"}""")]
    [InlineData("""{"status":"failed,skipped"}""")]
    [InlineData("""{"since":"yesterday"}""")]
    public async Task Replay_refuses_what_it_cannot_do(string body)
    {
        var response = await _sluice.Admin.PostAsync("/api/v1/destinations/hook/replay", new StringContent(body));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_destination_that_fails_like_it_is_down_is_held_and_new_events_wait_instead_of_hammering_it()
    {
        _receiver.AnswerNext(new ScriptedAnswer(503));
        await _sluice.PostAsync("/v1/identify", """{"userId":"u","messageId":"m-down"}""");
        await DeliveryAsync("m-down", d => (int?)d["attempts"] == 1);

        await _sluice.PostAsync("/v1/identify", """{"userId":"u","messageId":"m-held"}""");
        var held = await DeliveryAsync("m-held");
        // A claim now, on the same clock: the hold keeps the destination's job out of it.
        var attempted = await ((Dispatcher)_sluice.Services.GetService(typeof(Dispatcher))!).DispatchDueAsync(CancellationToken.None);
        var stillHeld = await DeliveryAsync("m-held");
        Advance(TimeSpan.FromMilliseconds(500));
        var sent = await DeliveryAsync("m-held", d => (string?)d["status"] == "delivered");

        Assert.Equal("pending", (string?)held["status"]);
        Assert.Equal(0, attempted);
        Assert.Equal("pending", (string?)stillHeld["status"]);
        Assert.Equal(1, (int?)sent["attempts"]);
    }

    [Fact]
    public async Task A_4xx_answer_fails_at_once_keeping_the_services_answer()
    {
        _receiver.AnswerNext(new ScriptedAnswer(400, """{"error":"bad order"}"""));
        await _sluice.PostAsync("/v1/track", """{"userId":"u","event":"Order Completed","messageId":"m-3","properties":{"order_id":"x"}}""");

        var delivery = await DeliveryAsync("m-3", d => (string?)d["status"] == "failed");

        Assert.Equal(400, (int?)delivery["httpStatus"]);
        Assert.Equal("""{"error":"bad order"}""", (string?)delivery["response"]);
        Assert.Contains("not retried", (string?)delivery["reason"], StringComparison.Ordinal);
        Assert.Single(_receiver.Received);
    }

    [Fact]
    public async Task When_the_retry_window_ends_the_delivery_fails_and_replay_sends_it_again()
    {
        _receiver.AnswerNext(Enumerable.Repeat(new ScriptedAnswer(500), 40).ToArray());
        await _sluice.PostAsync("/v1/identify", """{"userId":"u","messageId":"m-4"}""");
        await DeliveryAsync("m-4", d => (int?)d["attempts"] == 1);

        JsonObject delivery;
        do
        {
            Advance(TimeSpan.FromMinutes(10));
            delivery = await DeliveryAsync("m-4", d => (string?)d["status"] != "retrying" || DateTimeOffset.Parse((string)d["nextAttemptAt"]!) > _time.GetUtcNow());
        }
        while ((string?)delivery["status"] == "retrying");

        Assert.Equal("failed", (string?)delivery["status"]);
        Assert.Contains("retry window", (string?)delivery["reason"], StringComparison.Ordinal);

        _receiver.ClearScript();
        var replay = await _sluice.Admin.PostAsync("/api/v1/destinations/hook/replay", new StringContent("""{"status":"failed"}"""));

        Assert.Equal(System.Net.HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal(1, (int?)JsonNode.Parse(await replay.Content.ReadAsStringAsync())!["requeued"]);
        Assert.Equal("delivered", (string?)(await DeliveryAsync("m-4", d => (string?)d["status"] == "delivered"))["status"]);
    }

    [Fact]
    public async Task Events_no_mapping_takes_filtered_events_and_invalid_payloads_each_say_why()
    {
        await _sluice.PostAsync("/v1/screen", """{"userId":"u","messageId":"m-5"}""");
        await _sluice.PostAsync("/v1/identify", """{"userId":"u","messageId":"m-6","traits":{"test":true}}""");
        await _sluice.PostAsync("/v1/identify", """{"userId":"u","messageId":"m-7","integrations":{"All":false}}""");
        await _sluice.PostAsync("/v1/page", """{"userId":"u","messageId":"m-8"}""");

        Assert.Equal(("filtered", "no mapping's trigger matched the event"), Outcome(await DeliveryAsync("m-5")));
        Assert.Equal(("filtered", "dropped by filter 'no test users'"), Outcome(await DeliveryAsync("m-6")));
        Assert.Equal(("filtered", "the event's Integrations object turns this destination off"), Outcome(await DeliveryAsync("m-7")));
        Assert.Equal(("skipped", "The root value is missing the required field 'url'."), Outcome(await DeliveryAsync("m-8")));

        var stats = JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/destinations/hook/stats"))!;
        Assert.Equal(1, (int?)stats["skipped"]);
        Assert.Equal(3, (int?)stats["filtered"]);

        static (string?, string?) Outcome(JsonObject d) => ((string?)d["status"], (string?)d["reason"]);
    }
}
