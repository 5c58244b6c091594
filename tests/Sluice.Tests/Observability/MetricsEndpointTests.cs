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
}
