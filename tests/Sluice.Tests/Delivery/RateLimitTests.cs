using Microsoft.Extensions.Time.Testing;
using Sluice.Infrastructure;

namespace Sluice.Delivery;

/// <summary>A destination's rate limit paces its own requests without slowing the others.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task A_rate_limited_backlog_is_sent_at_its_pace_while_other_destinations_are_not_held_up()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T00:00:00Z"));
        await using var service = await RecordingServer.StartAsync();
        await using var sluice = await InProcessServer.StartAsync(
            workspaceYaml: $$$"""
                sources:
                  - {id: web, writeKey: {{{InProcessServer.WriteKey}}}}
                destinations:
                  - id: slow
                    type: webhook
                    sources: [web]
                    rateLimit: 1
                    mappings:
                      - {name: All, action: send, trigger: 'type = "track"', mapping: {url: '{{{service.BaseUrl}}}/slow', method: POST}}
                  - id: fast
                    type: webhook
                    sources: [web]
                    mappings:
                      - {name: All, action: send, trigger: 'type = "track"', mapping: {url: '{{{service.BaseUrl}}}/fast', method: POST}}
                """,
            time: time);

        var batch = string.Join(',', Enumerable.Range(0, 20).Select(i => $$"""{"type":"track","userId":"u","event":"E","messageId":"m-{{i}}"}"""));
        (await sluice.PostAsync("/v1/batch", $$"""{"batch":[{{batch}}]}""")).EnsureSuccessStatusCode();

        // The clock does not move: the fast destination gets everything, the slow one its first slot only.
        await service.WaitUntilAsync(r => r.Count(x => x.Path == "/fast") == 20);
        await Eventually.True(async () => (await DeliveryLog.ReadAsync(sluice.Admin, "fast", "delivered")).Count == 20);
        // The fast ones go as they are routed; the slow one waits for a claim (rate-limited destinations do).
        await service.WaitUntilAsync(r => r.Any(x => x.Path == "/slow"));
        Assert.Single(service.Received, r => r.Path == "/slow");

        for (var second = 1; second <= 3; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            ((Dispatcher)sluice.Services.GetService(typeof(Dispatcher))!).Notify();
            var expected = second + 1;
            await service.WaitUntilAsync(r => r.Count(x => x.Path == "/slow") >= expected);
            Assert.Equal(expected, service.Received.Count(r => r.Path == "/slow"));
        }
    }
}
