using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Delivery;

/// <summary>
/// Every message the Tracking API acknowledges is delivered, never failed as an internal error:
/// valid JSON at its edges (huge and tiny numbers, emoji as surrogate pairs, U+2028, control
/// escapes, deep nesting) goes through a field-by-field mapping and a whole-event mapping.
/// </summary>
public sealed class OddValuesDeliveryTests
{
    [Fact]
    public async Task Acknowledged_events_with_edge_values_are_delivered_by_field_and_whole()
    {
        await using var receiver = await RecordingServer.StartAsync();
        await using var sluice = await InProcessServer.StartAsync(workspaceYaml: $$$"""
            sources:
              - {id: web, writeKey: {{{InProcessServer.WriteKey}}}}
            destinations:
              - id: hook
                type: webhook
                sources: [web]
                mappings:
                  - name: Fields
                    action: send
                    trigger: 'type = "track"'
                    mapping:
                      url: {{{receiver.BaseUrl}}}/fields
                      method: POST
                      data:
                        big: {'@path': '$.properties.big'}
                        tiny: {'@path': '$.properties.tiny'}
                        long: {'@path': '$.properties.long'}
                        text: {'@path': '$.properties.text'}
                        name: {'@template': '{{properties.text}} {{properties.big}}'}
                  - name: Whole
                    action: send
                    trigger: 'type = "track"'
                    mapping:
                      url: {{{receiver.BaseUrl}}}/whole
                      method: POST
                      data: {'@path': '$.'}
            """);
        var digits = new string('9', 4_000);
        var message = $$$"""{"userId":"u","event":"Edge","messageId":"edge-1","properties":{"big":1e999,"tiny":-1e-999,"long":{{{digits}}},"text":"a\ud83d\ude00\u2028\u0000\n\"b","deep":[[[[[[[[{"x":[]}]]]]]]]]}}""";

        var response = await sluice.PostAsync("/v1/track", message);

        response.EnsureSuccessStatusCode();
        var received = await receiver.WaitForAsync(2);
        Assert.Equal(2, received.Count);
        var fields = JsonNode.Parse(received.Single(r => r.Path == "/fields").Body)!;
        Assert.Equal("a\U0001F600\u2028\0\n\"b", (string?)fields["text"]);
        // Numbers travel as sent, whatever their size: what the client wrote is what the receiver reads.
        Assert.Contains("\"big\":1e999,\"tiny\":-1e-999,\"long\":" + digits, received.Single(r => r.Path == "/fields").Body);
        var whole = JsonNode.Parse(received.Single(r => r.Path == "/whole").Body)!;
        Assert.Equal("edge-1", (string?)whole["messageId"]);
        Assert.Equal("a\U0001F600\u2028\0\n\"b", (string?)whole["properties"]!["text"]);
        // The service has both requests; their outcomes are recorded once the routing step (or a claim) ends.
        IReadOnlyList<JsonObject> deliveries = [];
        for (var i = 0; i < 200 && ((deliveries = await DeliveryLog.ReadAsync(sluice.Admin, "hook")).Count < 2 || deliveries.Any(d => (string?)d["status"] is "pending" or "retrying")); i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(2, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal("delivered", (string?)d["status"]));
    }
}
