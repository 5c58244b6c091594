using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Compatibility;

/// <summary>
/// Segment's and RudderStack's official Node clients (from npm) send all six call types to a
/// running <c>sluice serve</c>, unchanged but for the host; every call must arrive intact.
/// </summary>
public sealed class OfficialClientsTests
{
    private const string WriteKey = "wk_compat";

    [Theory]
    [InlineData("segment", "@segment/analytics-node")]
    [InlineData("rudder", "analytics-node")]
    public async Task Every_call_of_the_official_client_arrives_with_its_messageId_and_a_corrected_timestamp(string client, string library)
    {
        var workspace = await TestWorkspace.CreateAsync($"sources:\n  - id: web\n    writeKey: {WriteKey}\n");
        await using var server = await workspace.StartAsync();

        var sent = await SendAsync(client, server.BaseUrl);
        var stored = (await server.EventsAsync("web")).Select(e => e!.AsObject()).ToList();

        Assert.Equal(["alias", "group", "identify", "page", "screen", "track"], sent.Select(c => (string)c["type"]!).Distinct().Order());
        Assert.Equal(sent.Count, stored.Count);
        var byId = stored.ToDictionary(e => (string)e["messageId"]!);
        foreach (var call in sent)
        {
            var id = (string)call["messageId"]!;
            Assert.True(byId.TryGetValue(id, out var message), $"{client} call {call.ToJsonString()} was not stored");
            foreach (var field in new[] { "type", "userId", "anonymousId", "event", "name", "groupId", "previousId" })
            {
                if (call[field] is { } expected)
                {
                    Assert.Equal((string)expected!, (string?)message![field]);
                }
            }

            Assert.Equal(library, (string?)message!["context"]!["library"]!["name"]);
            Assert.Equal("127.0.0.1", (string?)message["context"]!["ip"]);
            var timestamp = DateTimeOffset.Parse((string)message["timestamp"]!);
            var received = DateTimeOffset.Parse((string)message["receivedAt"]!);
            if (call["timestamp"] is { } historical)
            {
                // The client's own time, moved only by the few milliseconds between call and send.
                Assert.Equal((string)historical!, (string?)message["originalTimestamp"]);
                Assert.InRange(timestamp - DateTimeOffset.Parse((string)historical!), TimeSpan.Zero, TimeSpan.FromSeconds(15));
            }
            else
            {
                Assert.NotNull(message["originalTimestamp"]);
                Assert.InRange(received - timestamp, TimeSpan.Zero, TimeSpan.FromSeconds(15));
            }
        }

        var withOptions = stored.Single(e => e["integrations"]?["Amplitude"] is not null);
        Assert.Equal(5, (int)withOptions["integrations"]!["Amplitude"]!["session_id"]!);
        Assert.False((bool)withOptions["integrations"]!["All"]!);
        var order = stored.Single(e => (string?)e["event"] == "Order Completed");
        Assert.Equal(2, order["properties"]!["products"]!.AsArray().Count);
    }

    [Fact]
    public async Task Every_call_of_the_Segment_client_reaches_a_webhook_through_a_mapping()
    {
        await using var receiver = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync($$"""
            sources:
              - id: web
                writeKey: {{WriteKey}}
            destinations:
              - id: hook
                type: webhook
                sources: [web]
                mappings:
                  - name: All calls
                    action: send
                    trigger: 'type = "track" or type = "identify" or type = "page" or type = "screen" or type = "group" or type = "alias"'
                    mapping:
                      url: {{receiver.BaseUrl}}/segment
                      method: POST
                      data: {'@path': '$.'}
            """);
        await using var server = await workspace.StartAsync();

        var sent = await SendAsync("segment", server.BaseUrl);
        // The client's call with integrations {All: false, …} names no webhook, so the Integrations object keeps it back.
        var turnedOff = (await server.EventsAsync("web"))
            .Where(e => e!["integrations"]?["All"]?.GetValue<bool>() == false)
            .Select(e => (string)e!["messageId"]!)
            .ToHashSet();
        var received = await receiver.WaitForAsync(sent.Count - turnedOff.Count);

        Assert.Single(turnedOff);
        var delivered = received.Select(r => JsonNode.Parse(r.Body)!).ToDictionary(b => (string)b["messageId"]!, b => b);
        foreach (var call in sent.Where(c => !turnedOff.Contains((string)c["messageId"]!)))
        {
            Assert.True(delivered.TryGetValue((string)call["messageId"]!, out var body), $"{call.ToJsonString()} did not reach the webhook");
            Assert.Equal((string?)call["type"], (string?)body!["type"]);
        }

        // Recorded with the deliveries of its routing step, which may commit a moment after they arrived.
        var filtered = await DeliveryLog.WaitForAsync(server.Admin, "hook", turnedOff.Single());
        Assert.Equal("filtered", (string?)filtered["status"]);
        Assert.Single(await DeliveryLog.ReadAsync(server.Admin, "hook", "filtered"));
    }

    private static Task<List<JsonObject>> SendAsync(string client, string host) => OfficialClient.SendAsync(client, host, WriteKey);
}
