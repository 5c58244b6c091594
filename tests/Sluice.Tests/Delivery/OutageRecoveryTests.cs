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
            workspaceYaml: $$$"""
                sources:
                  - {id: web, writeKey: {{{InProcessServer.WriteKey}}}}
                destinations:
                  - id: down
                    type: webhook
                    sources: [web]
                    mappings:
                      - name: All
                        action: send
                        trigger: 'type = "track"'
                        mapping:
                          url: '{{{receiver.BaseUrl}}}/in'
                          method: POST
                          data: {id: {'@path': '$.messageId'}}
                """,
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
        // The first claim finds the service down after a few requests (at most the in-flight limit; the background
        // loop may have sent them a moment earlier), then the destination is probed by one request at a time.
        var during = requestsPerSecond.Take(60).ToList();
        var first = during.FindIndex(count => count > 0);
        var shown = string.Join(",", requestsPerSecond);
        Assert.True(first is >= 0 and <= 1 && during[first] <= 32, $"requests a second: {shown}");
        Assert.True(during.Skip(first + 1).All(count => count <= 1), $"requests a second: {shown}");
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
