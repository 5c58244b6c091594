using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Delivery;

public sealed class WebhookBatchingTests
{
    [Fact]
    public async Task With_a_batch_size_deliveries_due_together_share_requests_with_an_array_body()
    {
        await using var receiver = await RecordingServer.StartAsync();
        await using var sluice = await InProcessServer.StartAsync(workspaceYaml: $$"""
            sources:
              - {id: web, writeKey: {{InProcessServer.WriteKey}}}
            destinations:
              - id: hook
                type: webhook
                sources: [web]
                mappings:
                  - name: Batched
                    action: send
                    trigger: 'type = "track"'
                    mapping:
                      url: {{receiver.BaseUrl}}/batch
                      method: POST
                      batch_size: 3
                      batch_keys: [url, method, headers]
                      data:
                        id: {'@path': '$.messageId'}
            """);

        var batch = "{\"batch\":[" + string.Join(',', Enumerable.Range(0, 5).Select(i => $$"""{"type":"track","userId":"u","event":"E","messageId":"b-{{i}}"}""")) + "]}";
        await sluice.PostAsync("/v1/batch", batch);

        var received = await receiver.WaitForAsync(2);
        var bodies = received.Select(r => JsonNode.Parse(r.Body)!.AsArray()).ToList();

        Assert.Equal([3, 2], bodies.Select(b => b.Count).Order().Reverse());
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"b-{i}"), bodies.SelectMany(b => b).Select(d => (string)d!["id"]!).Order());
    }
}
