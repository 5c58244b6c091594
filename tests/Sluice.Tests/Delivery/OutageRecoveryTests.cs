using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sluice.Infrastructure;

namespace Sluice.Delivery;

/// <summary>A destination that is down for a minute is probed one request at a time, and its backlog flows soon after it is back.</summary>
public sealed class OutageRecoveryTests
{
    [Fact]
    public async Task After_a_60_second_outage_the_backlog_is_delivered_within_a_minute_of_recovery_with_single_probes_meanwhile()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z"));
        await using var receiver = await RecordingServer.StartAsync();
        receiver.Always = new ScriptedAnswer(503);
        await using var sluice = await InProcessServer.StartAsync(
            workspaceYaml: TestWorkspace.TrackWebhookYaml(InProcessServer.WriteKey, "down", receiver.BaseUrl + "/in"),
            time: time);
        var dispatcher = sluice.Services.GetRequiredService<Dispatcher>();
        var batch = string.Join(',', Enumerable.Range(0, 300).Select(i => $$"""{"type":"track","userId":"u","event":"E","messageId":"o-{{i}}"}"""));
        (await sluice.PostAsync("/v1/batch", $$"""{"batch":[{{batch}}]}""")).EnsureSuccessStatusCode();
        await WaitForDeliveriesAsync(sluice, 300);
        // The server's own claim loops send the first claim as soon as the deliveries exist; let it finish
        // (the test's clock stands still meanwhile), so that each step below sees what that second brought.
        await SettleAsync(receiver, atLeast: 1);
        var initial = receiver.Received.Count;

        var requestsPerSecond = new List<int>();
        int? backAt = null, doneAt = null;
        for (var second = 0; second <= 130 && doneAt is null; second++)
        {
            if (second == 60)
            {
                receiver.Always = null;
                backAt = second;
            }

            var before = receiver.Received.Count;
            while (await dispatcher.DispatchDueAsync(CancellationToken.None) > 0)
            {
            }

            await SettleAsync(receiver, atLeast: 0);
            requestsPerSecond.Add(receiver.Received.Count - before);
            if (receiver.Received.Where(r => r.Succeeded).Select(r => r.Body).Distinct().Count() == 300)
            {
                doneAt = second;
            }

            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.True(doneAt is not null, $"delivered {receiver.Received.Where(r => r.Succeeded).Select(r => r.Body).Distinct().Count()}; requests a second: {string.Join(",", requestsPerSecond)}");
        // The longest wait is the hold the destination is in when the service comes back: at most a minute.
        Assert.True(doneAt - backAt <= 61, $"the backlog was delivered {doneAt - backAt} s after the service came back");
        // The first claims find the service down after a few requests: at most the 32 in flight, and three
        // more for each other claim under way (the background loops may send them a moment before or after
        // this loop's first step). Then the destination is probed by one request at a time.
        var during = requestsPerSecond.Take(60).ToList();
        var shown = string.Join(",", requestsPerSecond);
        Assert.True(initial + during.Take(3).Sum() <= 32 + 3 + 3, $"{initial} at first, then requests a second: {shown}");
        Assert.True(during.Skip(3).All(count => count <= 1), $"requests a second: {shown}");
    }

    /// <summary>Waits (in real time) until the stand-in has received at least so many requests and then nothing new for 200 ms.</summary>
    private static async Task SettleAsync(RecordingServer receiver, int atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var seen = -1;
        while (DateTime.UtcNow < deadline)
        {
            var now = receiver.Received.Count;
            if (now >= atLeast && now == seen)
            {
                return;
            }

            seen = now;
            await Task.Delay(200);
        }
    }

    /// <summary>Waits (a minute at most: the suite starts many servers at once) until the router has made the deliveries.</summary>
    private static async Task WaitForDeliveriesAsync(InProcessServer sluice, int count)
    {
        var stats = "";
        for (var i = 0; i < 2_400; i++)
        {
            stats = await sluice.Admin.GetStringAsync("/api/v1/destinations/down/stats");
            var counts = System.Text.Json.Nodes.JsonNode.Parse(stats)!;
            if (((int?)counts["pending"] ?? 0) + ((int?)counts["retrying"] ?? 0) >= count)
            {
                return;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"the router did not make {count} deliveries: {stats}");
    }
}
