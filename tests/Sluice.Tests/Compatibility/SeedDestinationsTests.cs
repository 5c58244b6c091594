using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Compatibility;

/// <summary>
/// Segment's official Node client sends a mixed stream to a running <c>sluice serve</c> whose
/// workspace file connects FullStory, Stories and Stitch Data (each pointed at a local stand-in):
/// every request is what the destination spec says, and every call that was not sent says why.
/// </summary>
public sealed class SeedDestinationsTests
{
    private const string WriteKey = "wk_seed";

    [Fact]
    public async Task A_mixed_stream_reaches_all_three_destinations_and_every_call_not_sent_says_why()
    {
        await using var fullStory = await RecordingServer.StartAsync();
        await using var stories = await RecordingServer.StartAsync();
        await using var stitch = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync($$"""
            sources:
              - {id: web, writeKey: {{WriteKey}}}
            destinations:
              - id: fullstory
                type: actions-fullstory-cloud
                sources: [web]
                settings: {apiKey: fs-key, baseUrl: '{{fullStory.BaseUrl}}'}
              - id: stories
                type: stories
                sources: [web]
                rateLimit: 200
                settings: {apiKey: st-token-123, baseUrl: '{{stories.BaseUrl}}'}
              - id: stitch
                type: stitch-data
                sources: [web]
                settings: {endpoint: '{{stitch.BaseUrl}}/segment/t0ken', apiKey: stitch-key}
            """);
        await using var server = await workspace.StartAsync();

        var sent = await OfficialClient.SendAsync("segment", server.BaseUrl, WriteKey);
        var stored = (await server.EventsAsync("web")).Select(e => e!.AsObject()).ToDictionary(e => (string)e["messageId"]!);
        var routedOff = sent.Where(c => stored[(string)c["messageId"]!]["integrations"]?["All"]?.GetValue<bool>() == false).Select(c => (string)c["messageId"]!).ToHashSet();
        var fullStoryLog = await SettledLogAsync(server, "fullstory", sent.Count);
        var storiesLog = await SettledLogAsync(server, "stories", sent.Count);
        var stitchLog = await SettledLogAsync(server, "stitch", sent.Count);

        Assert.Single(routedOff);
        foreach (var call in sent)
        {
            var id = (string)call["messageId"]!;
            var type = (string)call["type"]!;
            var anonymous = call["userId"] is null;
            var turnedOff = routedOff.Contains(id);
            const string IntegrationsOff = "the event's Integrations object turns this destination off";

            Assert.Equal(
                turnedOff ? ("filtered", IntegrationsOff)
                : type is "track" or "identify" ? ("delivered", null)
                : ("filtered", "no mapping's trigger matched the event"),
                Outcome(fullStoryLog[id]));
            Assert.Equal(
                type is "screen" or "group" or "alias" ? ("filtered", $"Stories does not take {type} calls (unsupported event type)")
                : turnedOff ? ("filtered", IntegrationsOff)
                : anonymous ? ("skipped", "Stories does not support anonymous users: the call has no userId")
                : ("delivered", null),
                Outcome(storiesLog[id]));
            Assert.Equal(
                type == "screen" ? ("filtered", "Stitch Data does not take screen calls (unsupported event type)")
                : turnedOff ? ("filtered", IntegrationsOff)
                : ("delivered", null),
                Outcome(stitchLog[id]));
        }

        // FullStory: the two presets, V2 APIs, the key as given.
        var identify = sent.Single(c => (string?)c["type"] == "identify");
        var fullStoryUser = Assert.Single(fullStory.Received, r => r.Path == "/v2/users");
        Assert.Equal("Basic fs-key", fullStoryUser.Headers["Authorization"]);
        Assert.Equal("segment", fullStoryUser.Headers["Integration-Source"]);
        var user = JsonNode.Parse(fullStoryUser.Body)!;
        Assert.Equal((string?)identify["userId"], (string?)user["uid"]);
        Assert.Equal("pro", (string?)user["properties"]!["plan"]);
        var trackCount = sent.Count(c => (string?)c["type"] == "track" && !routedOff.Contains((string)c["messageId"]!));
        Assert.Equal(trackCount, fullStory.Received.Count(r => r.Path == "/v2/events"));
        Assert.Contains(fullStory.Received.Where(r => r.Path == "/v2/events").Select(r => JsonNode.Parse(r.Body)!), e => (string?)e["name"] == "Anonymous Event" && e["user"] is null);

        // Stories: a merge then the identify event, then one timeline event per track and page with a user.
        var storiesUsers = Assert.Single(stories.Received, r => r.Path == "/v1/users" && r.Method == "POST");
        var merged = JsonNode.Parse(storiesUsers.Body)!;
        Assert.Equal((string?)identify["userId"], (string?)merged["user_id"]);
        Assert.Equal("pro", (string?)merged["attributes"]!["plan"]);
        var timeline = stories.Received.Where(r => r.Path == "/v1/events").Select(r => JsonNode.Parse(r.Body)!).ToList();
        Assert.Equal(
            sent.Count(c => (string?)c["type"] is "track" or "page" or "identify" && c["userId"] is not null && !routedOff.Contains((string)c["messageId"]!)),
            timeline.Count);
        Assert.Contains(timeline, e => (string?)e["name"] == "Page" && (string?)e["data"]!["content"] == "Getting Started");
        Assert.All(stories.Received, r => Assert.Equal("Bearer st-token-123", r.Headers["Authorization"]));

        // Stitch: each call as stored, never the write key.
        var stitched = stitch.Received.Where(r => r.Path == "/segment/t0ken").ToList();
        Assert.Equal(sent.Count - routedOff.Count - sent.Count(c => (string?)c["type"] == "screen"), stitched.Count);
        foreach (var request in stitched)
        {
            var body = JsonNode.Parse(request.Body)!;
            Assert.True(JsonNode.DeepEquals(stored[(string)body["messageId"]!], body), $"Stitch received {request.Body}");
            Assert.DoesNotContain(WriteKey, request.Body, StringComparison.Ordinal);
        }
    }

    /// <summary>Every call's delivery record, once none is waiting any more.</summary>
    private static async Task<Dictionary<string, JsonObject>> SettledLogAsync(SluiceProcess server, string destinationId, int calls)
    {
        for (var i = 0; i < 600; i++)
        {
            var log = await DeliveryLog.ReadAsync(server.Admin, destinationId);
            if (log.Count >= calls && log.All(d => (string?)d["status"] is not ("pending" or "retrying")))
            {
                return log.ToDictionary(d => (string)d["messageId"]!);
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"the deliveries to {destinationId} did not settle");
    }

    private static (string?, string?) Outcome(JsonObject delivery) => ((string?)delivery["status"], (string?)delivery["reason"]);
}
