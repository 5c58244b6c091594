using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.EventLog;

/// <summary>
/// Three <c>sluice serve</c> processes on one PostgreSQL database, Segment's Node client sending to all
/// three, and a node killed (SIGKILL) at random moments and restarted where its clients expect it, or
/// stopped (SIGSTOP) past its lease and let go on.
/// </summary>
public sealed class ClusterKillTests
{
    private static readonly Dictionary<string, string> ShortLeases = new() { ["SLUICE_LEASE_DURATION"] = "3s" };

    [Fact]
    public async Task Nodes_killed_at_random_lose_no_acknowledged_event_store_each_once_and_deliver_each_at_least_once()
    {
        var postgres = PostgresServer.NewDatabase();
        await using var sink = await RecordingServer.StartAsync();
        // The ordered destination's service fails some requests: a user's later events must wait for the retry.
        await using var orderedSink = await RecordingServer.StartAsync();
        orderedSink.FailShare = 0.1;
        var workspace = await TestWorkspace.CreateAsync(TestWorkspace.TrackWebhookYaml("wk_cluster", "hook", sink.BaseUrl + "/in") + $$"""

              - id: ordered-hook
                type: webhook
                sources: [web]
                ordered: true
                retryWindow: 10m
                mappings:
                  - name: All
                    action: send
                    trigger: 'type = "track"'
                    mapping:
                      url: '{{orderedSink.BaseUrl}}/in'
                      method: POST
                      data: {'@path': '$.'}
            """);
        var ports = Enumerable.Range(0, 3).Select(_ => FreePort.Next()).ToArray();
        var nodes = new SluiceProcess[3];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = await workspace.StartNodeAsync(postgres, ports[i], ShortLeases);
        }

        // When a node was killed (a moment) or paused (until a little after it resumed, when it sends what it held).
        var disruptions = new List<(DateTimeOffset From, DateTimeOffset To)>();
        try
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            var sending = OfficialClient.SendToClusterAsync([.. ports.Select(p => $"http://127.0.0.1:{p}")], "wk_cluster", run, users: 12, events: 50, pauseMilliseconds: 60);
            var random = new Random(Environment.TickCount);
            while (!sending.IsCompleted && disruptions.Count < 5)
            {
                await Task.WhenAny(sending, Task.Delay(random.Next(800, 2500)));
                if (sending.IsCompleted)
                {
                    break;
                }

                var victim = random.Next(nodes.Length);
                if (disruptions.Count == 1)
                {
                    // Stopped past its lease: the others take its partitions and claims; on waking it must commit nothing under the old epoch.
                    var stopped = DateTimeOffset.UtcNow;
                    nodes[victim].Pause();
                    await Task.Delay(TimeSpan.FromSeconds(7));
                    nodes[victim].Resume();
                    disruptions.Add((stopped, DateTimeOffset.UtcNow.AddSeconds(5)));
                    continue;
                }

                nodes[victim].Kill();
                disruptions.Add((DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));
                await nodes[victim].DisposeAsync();
                nodes[victim] = await workspace.StartNodeAsync(postgres, ports[victim], ShortLeases);
            }

            var acknowledged = (await sending).Select(a => (string)a["messageId"]!).ToList();
            Assert.True(disruptions.Count >= 3, $"only {disruptions.Count} kill(s) or pause(s) happened while the client sent; the test proved little");
            Assert.True(acknowledged.Count > 300, $"only {acknowledged.Count} calls were acknowledged");

            // Stored once: the log, as any node reads it, holds each acknowledged messageId exactly once.
            var stored = (await nodes[1].EventsAsync("web")).Select(e => (string)e!["messageId"]!).Where(id => id.StartsWith(run, StringComparison.Ordinal)).ToList();
            Assert.Empty(acknowledged.Except(stored));
            Assert.Equal(stored.Count, stored.Distinct().Count());

            // Delivered at least once, whichever node held the user's partition when.
            await sink.WaitUntilAsync(received => !acknowledged.Except(received.Select(MessageIdOf)).Any(), TimeSpan.FromSeconds(60));
            var received = sink.Received.Select(r => (Id: MessageIdOf(r), r.At)).ToList();
            Assert.Empty(acknowledged.Except(received.Select(r => r.Id)));
            Assert.All(received, r => Assert.Contains(r.Id, stored));

            // The ordered destination: every acknowledged event arrives, and each user's in the order they were stored
            // (a user's next event is sent only once the last was answered, so stored order is seq order).
            await orderedSink.WaitUntilAsync(received => !acknowledged.Except(received.Where(r => r.Succeeded).Select(MessageIdOf)).Any(), TimeSpan.FromSeconds(60));
            var neverOrdered = acknowledged.Except(orderedSink.Received.Where(r => r.Succeeded).Select(MessageIdOf)).ToList();
            if (neverOrdered.Count > 0)
            {
                // What the store says of them, so that a failure here says where they wait (a hold, a retry, a claim).
                var admin = nodes[1].Admin;
                Assert.Fail($"""
                    {neverOrdered.Count} acknowledged events did not reach the ordered destination in 60 s: {string.Join(", ", neverOrdered.Take(12))}
                    its stats: {await admin.GetStringAsync("/api/v1/destinations/ordered-hook/stats")}
                    retrying: {await admin.GetStringAsync("/api/v1/destinations/ordered-hook/deliveries?status=retrying&limit=20")}
                    pending: {await admin.GetStringAsync("/api/v1/destinations/ordered-hook/deliveries?status=pending&limit=20")}
                    the service answered {orderedSink.Received.Count} requests, {orderedSink.Received.Count(r => !r.Succeeded)} of them with a failure
                    """);
            }
            var orderedDeliveries = orderedSink.Received.Where(r => r.Succeeded).Select(r => JsonNode.Parse(r.Body)!).ToList();
            foreach (var user in orderedDeliveries.GroupBy(d => (string)d["userId"]!))
            {
                var seqs = user.Select(d => (int)d["properties"]!["seq"]!).Distinct().ToList();
                Assert.True(seqs.SequenceEqual(seqs.Order()), $"{user.Key}'s events reached the ordered destination as {string.Join(", ", seqs)}");
            }

            Assert.Contains(orderedSink.Received, r => !r.Succeeded);

            // A duplicate is a delivery in flight at a kill or a pause: sent and not recorded, then sent again.
            foreach (var copies in received.GroupBy(r => r.Id).Where(g => g.Count() > 1))
            {
                var first = copies.Min(c => c.At);
                var last = copies.Max(c => c.At);
                Assert.True(disruptions.Any(d => first <= d.To && d.From <= last), $"{copies.Key} was delivered {copies.Count()} times with no kill or pause between its first and last delivery");
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static string MessageIdOf(RecordedRequest request) => (string)JsonNode.Parse(request.Body)!["messageId"]!;
}
