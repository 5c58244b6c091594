using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Sluice.Infrastructure;
using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>
/// What the router has just routed is sent before it is recorded when it can go at once, and recorded
/// once with its outcome; what must wait (an ordered, a rate-limited or a held destination's) is not
/// sent and is recorded pending for the claims.
/// </summary>
public sealed class SendWhenRoutedTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-05T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private RecordingServer _receiver = null!;
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync()
    {
        _receiver = await RecordingServer.StartAsync();
        _sluice = await StartAsync(new DeliveryOptions { Random = () => 0.999 });
    }

    /// <summary>Four destinations of one source; only "plain" takes the events the end-to-end test posts.</summary>
    private Task<InProcessServer> StartAsync(DeliveryOptions delivery) => InProcessServer.StartAsync(
        o => o with { Delivery = delivery },
        workspaceYaml: $$$"""
            sources:
              - {id: web, writeKey: {{{InProcessServer.WriteKey}}}}
            destinations:
              - {id: plain, type: webhook, sources: [web], mappings: [{name: All, action: send, trigger: 'type = "track"', mapping: {url: '{{{_receiver.BaseUrl}}}/plain', method: POST}}]}
              - {id: ordered, type: webhook, ordered: true, sources: [web], mappings: [{name: All, action: send, trigger: 'event = "Other"', mapping: {url: '{{{_receiver.BaseUrl}}}/ordered', method: POST}}]}
              - {id: paced, type: webhook, rateLimit: 5, sources: [web], mappings: [{name: All, action: send, trigger: 'event = "Other"', mapping: {url: '{{{_receiver.BaseUrl}}}/paced', method: POST}}]}
              - {id: held, type: webhook, sources: [web], mappings: [{name: All, action: send, trigger: 'event = "Other"', mapping: {url: '{{{_receiver.BaseUrl}}}/held', method: POST}}]}
            """,
        time: _time);

    public async Task DisposeAsync()
    {
        await _sluice.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private Dispatcher Dispatcher => (Dispatcher)_sluice.Services.GetService(typeof(Dispatcher))!;

    private static void NothingToConfirm()
    {
    }

    /// <summary>A router step handed over as one part.</summary>
    private static Task<IReadOnlyList<NewDelivery>> SendStepAsync(Dispatcher dispatcher, IReadOnlyList<NewDelivery> routed, Action beforeSending) =>
        dispatcher.BeginStep(beforeSending).SendAsync(routed);

    /// <summary>A delivery as the router makes it: the webhook action's mapped fields.</summary>
    private NewDelivery RoutedTo(string destination, string messageId, int index) =>
        new(destination, "All", "send", messageId, 1, index, DeliveryStatus.Pending, null,
            Encoding.UTF8.GetBytes($$$"""{"url":"{{{_receiver.BaseUrl}}}/{{{destination}}}","method":"POST","data":{"id":"{{{messageId}}}"}}"""));

    [Fact]
    public async Task Deliveries_that_may_go_at_once_are_sent_and_come_back_with_their_outcome_and_the_others_come_back_pending_unsent()
    {
        // "held" answers 503 once: the dispatcher holds it, as it would after any retryable failure.
        _receiver.AnswerNext(new ScriptedAnswer(503));
        await SendStepAsync(Dispatcher, [RoutedTo("held", "m-0", 0)], NothingToConfirm);
        var confirmed = 0;

        var outcome = await SendStepAsync(Dispatcher, [
            RoutedTo("plain", "m-1", 0),
            RoutedTo("ordered", "m-1", 1),
            RoutedTo("paced", "m-1", 2),
            RoutedTo("held", "m-1", 3),
            RoutedTo("plain", "m-2", 4) with { Status = DeliveryStatus.Filtered, Reason = "filtered out", Payload = null },
        ], () => confirmed++);

        var plain = outcome[0];
        Assert.Equal((DeliveryStatus.Delivered, 200), (plain.Status, plain.FirstAttempt?.HttpStatus));
        Assert.All(outcome.Skip(1).Take(3), d => Assert.Equal((DeliveryStatus.Pending, (AttemptResult?)null), (d.Status, d.FirstAttempt)));
        Assert.Equal((DeliveryStatus.Filtered, (AttemptResult?)null), (outcome[4].Status, outcome[4].FirstAttempt));
        Assert.Equal(1, confirmed);
        Assert.Equal([("/held", "m-0"), ("/plain", "m-1")], _receiver.Received.Select(r => (r.Path, (string)JsonNode.Parse(r.Body)!["id"]!)));
    }

    [Fact]
    public async Task Nothing_is_sent_when_the_router_finds_its_lease_gone_and_nothing_is_confirmed_when_nothing_would_be_sent()
    {
        var confirmed = 0;

        var refused = await Assert.ThrowsAsync<EventLog.LeaseLostException>(() => SendStepAsync(Dispatcher, [RoutedTo("plain", "m-1", 0)], () => throw new EventLog.LeaseLostException(7)));
        await SendStepAsync(Dispatcher, [RoutedTo("ordered", "m-2", 0)], () => confirmed++);

        Assert.Equal(7, refused.Partition);
        Assert.Equal(0, confirmed);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task A_retryable_first_answer_comes_back_retrying_with_its_backoff_and_holds_the_destination_for_the_next_routed()
    {
        _receiver.AnswerNext(new ScriptedAnswer(503, "busy"));

        var first = Assert.Single(await SendStepAsync(Dispatcher, [RoutedTo("plain", "m-1", 0)], NothingToConfirm));
        var next = Assert.Single(await SendStepAsync(Dispatcher, [RoutedTo("plain", "m-2", 0)], NothingToConfirm));

        Assert.Equal(DeliveryStatus.Retrying, first.Status);
        Assert.Equal(503, first.FirstAttempt?.HttpStatus);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds() + 999, first.FirstAttempt?.NextAttemptAt);
        Assert.Equal((DeliveryStatus.Pending, (AttemptResult?)null), (next.Status, next.FirstAttempt));
        Assert.Single(_receiver.Received);
    }

    [Fact]
    public async Task A_tracked_event_is_recorded_delivered_with_one_attempt_and_a_failed_first_attempt_is_retried_by_the_claims()
    {
        _receiver.AnswerNext(new ScriptedAnswer(500, "down"));
        await _sluice.PostAsync("/v1/track", """{"userId":"u","event":"E","messageId":"m-1"}""");
        var retrying = await DeliveryLog.WaitForAsync(_sluice.Admin, "plain", "m-1", d => (int?)d["attempts"] == 1);
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Dispatcher.Notify();
        var delivered = await DeliveryLog.WaitForAsync(_sluice.Admin, "plain", "m-1", DeliveryLog.Status("delivered"));

        Assert.Equal(("retrying", 500, "down"), ((string?)retrying["status"], (int?)retrying["httpStatus"], (string?)retrying["response"]));
        Assert.Equal(2, (int?)delivered["attempts"]);
        Assert.Equal(2, _receiver.Received.Count(r => r.Path == "/plain"));
    }

    [Fact]
    public async Task A_steps_parts_share_its_time_to_send_and_a_part_handed_over_once_it_is_spent_comes_back_pending_unsent()
    {
        var confirmed = 0;
        var step = Dispatcher.BeginStep(() => confirmed++);

        var first = Assert.Single(await step.SendAsync([RoutedTo("plain", "m-1", 0)]));
        _time.Advance(new DeliveryOptions().SendWhenRoutedFor);
        var late = Assert.Single(await step.SendAsync([RoutedTo("plain", "m-2", 1)]));

        Assert.Equal(DeliveryStatus.Delivered, first.Status);
        Assert.Equal((DeliveryStatus.Pending, (AttemptResult?)null), (late.Status, late.FirstAttempt));
        Assert.Equal(1, confirmed);
        Assert.Equal(["m-1"], _receiver.Received.Select(r => (string)JsonNode.Parse(r.Body)!["id"]!));
    }

    [Fact]
    public async Task A_step_the_router_sends_in_several_parts_is_sent_once_and_recorded_whole_in_the_order_it_was_routed()
    {
        var count = (Routing.Router.SendPart * 2) + 100;
        var items = Enumerable.Range(0, count).Select(i => $$"""{"type":"track","userId":"u","event":"E","messageId":"m-{{i}}"}""");

        (await _sluice.PostAsync("/v1/batch", "{\"batch\":[" + string.Join(',', items) + "]}")).EnsureSuccessStatusCode();
        await _receiver.WaitForAsync(count);
        var recorded = await RecordedAsync(count);

        Assert.Equal(count, _receiver.Received.Count(r => r.Path == "/plain"));
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"m-{i}"), recorded.Reverse().Select(d => (string?)d["messageId"]));
        Assert.All(recorded, d => Assert.Equal(("delivered", 1), ((string?)d["status"], (int?)d["attempts"])));
    }

    /// <summary>The router records a step after its last answer: waits for the plain destination's log to hold them all, newest first.</summary>
    private async Task<IReadOnlyList<JsonObject>> RecordedAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var recorded = await DeliveryLog.ReadAsync(_sluice.Admin, "plain", limit: count);
            if (recorded.Count == count || DateTime.UtcNow > deadline)
            {
                return recorded;
            }

            await Task.Delay(25);
        }
    }

    [Fact]
    public async Task With_no_time_to_send_when_routed_everything_comes_back_pending_unsent()
    {
        await using var sluice = await StartAsync(new DeliveryOptions { SendWhenRoutedFor = TimeSpan.Zero });
        var dispatcher = (Dispatcher)sluice.Services.GetService(typeof(Dispatcher))!;

        var outcome = Assert.Single(await SendStepAsync(dispatcher, [RoutedTo("plain", "m-1", 0)], NothingToConfirm));

        Assert.Equal((DeliveryStatus.Pending, (AttemptResult?)null), (outcome.Status, outcome.FirstAttempt));
        Assert.Empty(_receiver.Received);
    }
}
