using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Delivery;

public sealed class DeliveryCrashTests
{
    [Fact]
    public async Task After_a_SIGKILL_while_delivering_every_event_is_delivered_at_least_once_after_restart()
    {
        await using var receiver = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.WithTrackWebhookAsync("wk_crash", "hook", receiver.BaseUrl + "/in");
        var sent = Enumerable.Range(0, 600).Select(i => $"crash-{i}").ToList();

        int port;
        await using (var server = await workspace.StartAsync())
        {
            using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("wk_crash:")));
            foreach (var chunk in sent.Chunk(100))
            {
                var batch = "{\"batch\":[" + string.Join(',', chunk.Select(id => $$"""{"type":"track","userId":"u","event":"E","messageId":"{{id}}"}""")) + "]}";
                (await client.PostAsync("/v1/batch", new StringContent(batch))).EnsureSuccessStatusCode();
            }

            await receiver.WaitForAsync(50);
            server.Kill();
            port = server.Port;
        }

        var beforeRestart = receiver.Received.Count;
        // Where it was: on a shared store, the node takes its own partitions and claims back at once.
        await using var restarted = await workspace.StartAsync(port);
        await receiver.WaitUntilAsync(received => !sent.Except(received.Select(MessageIdOf)).Any());

        var delivered = receiver.Received.Select(MessageIdOf).ToList();
        Assert.Empty(sent.Except(delivered));
        Assert.True(beforeRestart < sent.Count, "the kill came after every delivery; the test proved nothing");
        Assert.All(delivered, id => Assert.Contains(id, sent));
    }

    private static string MessageIdOf(RecordedRequest request) => (string)JsonNode.Parse(request.Body)!["messageId"]!;
}
