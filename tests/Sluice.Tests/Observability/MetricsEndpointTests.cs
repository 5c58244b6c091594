using Sluice.Infrastructure;

namespace Sluice.Observability;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_count_received_accepted_rejected_and_duplicate_messages_and_commit_groups()
    {
        await using var server = await InProcessServer.StartAsync();
        await server.PostAsync("/v1/batch", """{"batch":[{"type":"track","userId":"u","event":"E","messageId":"a"},{"type":"track","userId":"u"}]}""");
        await server.PostAsync("/v1/track", """{"userId":"u","event":"E","messageId":"a"}""");

        var metrics = await server.Http.GetStringAsync("/metrics");

        Assert.Contains("sluice_messages_received_total{source=\"web\"} 3", metrics, StringComparison.Ordinal);
        Assert.Contains("sluice_messages_accepted_total{source=\"web\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sluice_messages_duplicate_total{source=\"web\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sluice_messages_rejected_total{reason=\"required\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sluice_commit_group_events_count 2", metrics, StringComparison.Ordinal);
        Assert.Contains("sluice_commit_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("sluice_writer_queue_bytes", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_count_deliveries_by_destination_and_outcome_time_attempts_and_show_each_backlog_and_its_age()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z"));
        await using var receiver = await RecordingServer.StartAsync();
        await using var server = await InProcessServer.StartAsync(
            workspaceYaml: $$$"""
                sources:
                  - {id: web, writeKey: {{{InProcessServer.WriteKey}}}}
                destinations:
                  - id: up
                    type: webhook
                    sources: [web]
                    mappings:
                      - {name: Tracks, action: send, trigger: 'type = "track"', mapping: {url: '{{{receiver.BaseUrl}}}/in', method: POST}}
                  - id: down
                    type: webhook
                    sources: [web]
                    mappings:
                      - {name: Tracks, action: send, trigger: 'type = "track"', mapping: {url: 'http://127.0.0.1:{{{FreePort.Next()}}}/in', method: POST}}
                """,
            time: time);
        await server.PostAsync("/v1/batch", """{"batch":[{"type":"track","userId":"u","event":"A","messageId":"m-1"},{"type":"page","userId":"u","messageId":"m-2"}]}""");
        await DeliveryLog.WaitForAsync(server.Admin, "up", "m-1", DeliveryLog.Status("delivered"));
        await DeliveryLog.WaitForAsync(server.Admin, "down", "m-1", DeliveryLog.Status("retrying"));

        // Counted before the clock moves: once it has, the retry is due and may be attempted again.
        var counted = await server.Http.GetStringAsync("/metrics");
        time.Advance(TimeSpan.FromSeconds(90));
        var aged = await server.Http.GetStringAsync("/metrics");

        Assert.Contains("sluice_deliveries_total{destination=\"up\",outcome=\"delivered\"} 1", counted, StringComparison.Ordinal);
        Assert.Contains("sluice_deliveries_total{destination=\"up\",outcome=\"filtered\"} 1", counted, StringComparison.Ordinal);
        Assert.Contains("sluice_deliveries_total{destination=\"down\",outcome=\"retrying\"} 1", counted, StringComparison.Ordinal);
        Assert.Contains("sluice_delivery_attempt_duration_seconds_count{destination=\"up\"} 1", counted, StringComparison.Ordinal);
        Assert.Contains("sluice_delivery_backlog{destination=\"down\"} 1", aged, StringComparison.Ordinal);
        Assert.Contains("sluice_delivery_backlog{destination=\"up\"} 0", aged, StringComparison.Ordinal);
        Assert.Contains("sluice_delivery_oldest_waiting_seconds{destination=\"down\"} 90", aged, StringComparison.Ordinal);
    }
}
