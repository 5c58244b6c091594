using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sluice.Infrastructure;

namespace Sluice.Ingest;

public sealed class DurabilityTests
{
    [Fact]
    public async Task Every_event_acknowledged_before_a_SIGKILL_is_stored_after_restart()
    {
        var workspace = await TestWorkspace.CreateAsync("sources:\n  - id: web\n    writeKey: wk_crash\n");
        var acknowledged = new ConcurrentBag<string>();

        await using (var server = await workspace.StartAsync())
        {
            using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(10) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("wk_crash:")));
            using var stop = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 16).Select(sender => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var batch = i % 4 == 0;
                    var id = $"s{sender}-{i}";
                    var body = batch
                        ? "{\"batch\":[" + string.Join(',', Enumerable.Range(0, 10).Select(k => $$"""{"type":"track","userId":"u","event":"E","messageId":"{{id}}-{{k}}"}""")) + "]}"
                        : $$"""{"userId":"u","event":"E","messageId":"{{id}}"}""";
                    try
                    {
                        var response = await client.PostAsync(batch ? "/v1/batch" : "/v1/track", new StringContent(body));
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            if (batch)
                            {
                                for (var k = 0; k < 10; k++)
                                {
                                    acknowledged.Add($"{id}-{k}");
                                }
                            }
                            else
                            {
                                acknowledged.Add(id);
                            }
                        }
                    }
                    catch (Exception exception) when (exception is HttpRequestException or System.Net.Sockets.SocketException)
                    {
                        return; // the server is gone: unacknowledged, so nothing is promised
                    }
                    catch (TaskCanceledException)
                    {
                        return;
                    }
                }
            })).ToList();

            while (acknowledged.Count < 2_000)
            {
                await Task.Delay(20);
            }

            server.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(senders);
        }

        await using var restarted = await workspace.StartAsync();
        var stored = (await restarted.EventsAsync("web")).Select(e => (string)e!["messageId"]!).ToHashSet();

        var lost = acknowledged.Where(id => !stored.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged events were lost, e.g. {string.Join(", ", lost.Take(5))}");
    }
}
