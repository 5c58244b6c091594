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
        Assert.True(during.Take(3).Sum() is >= 1 and <= 32 + 3 + 3, $"requests a second: {shown}");
        Assert.True(during.Skip(3).All(count => count <= 1), $"requests a second: {shown}");
    }

    private static async Task WaitForDeliveriesAsync(InProcessServer sluice, int count)
    {
        for (var i = 0; i < 400; i++)
        {
            var stats = System.Text.Json.Nodes.JsonNode.Parse(await sluice.Admin.GetStringAsync("/api/v1/destinations/down/stats"))!;
            if (((int?)stats["pending"] ?? 0) + ((int?)stats["retrying"] ?? 0) >= count)
            {
                return;
            }

            await Task.Delay(25);
        }
    }
}
