using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Delivery;

public sealed class BacklogMemoryTests
{
    [Fact]
    public async Task A_backlog_for_a_destination_that_is_down_grows_on_disk_not_in_memory()
    {
        // Nothing listens on the port: every attempt is a connection error, so every delivery waits (pending or retrying).
        var workspace = await TestWorkspace.WithTrackWebhookAsync("wk_backlog", "down", $"http://127.0.0.1:{FreePort.Next()}/in");
        await using var server = await workspace.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("wk_backlog:")));
        var padding = new string('x', 1_500);

        async Task SendAsync(int from, int count)
        {
            for (var start = from; start < from + count; start += 250)
            {
                var batch = "{\"batch\":[" + string.Join(',', Enumerable.Range(start, 250).Select(i => $$$"""{"type":"track","userId":"u","event":"E","messageId":"k-{{{i}}}","properties":{"p":"{{{padding}}}"}}""")) + "]}";
                (await client.PostAsync("/v1/batch", new StringContent(batch))).EnsureSuccessStatusCode();
            }
        }

        async Task<long> BacklogAsync()
        {
            var stats = JsonNode.Parse(await server.Admin.GetStringAsync("/api/v1/destinations/down/stats"))!;
            return ((long?)stats["pending"] ?? 0) + ((long?)stats["retrying"] ?? 0);
        }

        async Task WaitForBacklogAsync(long size)
        {
            // Up to 5 minutes: a loaded 2-core CI machine took over 2 to route 60,000 events once.
            for (var i = 0; i < 6_000 && await BacklogAsync() < size; i++)
            {
                await Task.Delay(50);
            }
        }

        await SendAsync(0, 10_000);
        await WaitForBacklogAsync(10_000);
        var before = server.ResidentBytes;

        await SendAsync(10_000, 60_000);
        await WaitForBacklogAsync(70_000);
        var after = server.ResidentBytes;

        Assert.Equal(70_000, await BacklogAsync());
        // 60,000 more waiting deliveries, each an event and a payload of ~1.7 KB, would take well over 200 MB
        // as objects in memory; what may grow is bounded by design (SQLite's page cache, 32 MB, and the GC's
        // working room, which varies from run to run by a few tens of MB).
        Assert.True(after - before < 72 * 1024 * 1024, $"resident memory grew by {(after - before) / 1024 / 1024} MB with the backlog");
    }
}
