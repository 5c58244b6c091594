using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sluice.Storage;

namespace Sluice.EventLog;

/// <summary>
/// Two nodes on one PostgreSQL store, each with its own clock: node A is paused in the middle of a step
/// (after reading, before committing) until its lease has run out and node B has claimed the partitions
/// and consumed the same rows; then A resumes. The store must refuse A's commit.
/// </summary>
public sealed class StaleEpochTests : IDisposable
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private readonly PostgresBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    [Fact]
    public async Task A_node_paused_past_its_lease_cannot_commit_when_it_resumes_and_its_rows_are_routed_once()
    {
        using var a = _backend.Open();
        using var b = _backend.Open();
        var options = new EventLogOptions { TakeOverAtStart = false };
        var clockA = new FakeTimeProvider(Start);
        var clockB = new FakeTimeProvider(Start);
        var nodeA = new PartitionOwnership(a.Leases, a.EventLog, options, clockA, NullLogger<PartitionOwnership>.Instance);
        var nodeB = new PartitionOwnership(b.Leases, b.EventLog, options, clockB, NullLogger<PartitionOwnership>.Instance);
        nodeA.RenewAndClaim();
        a.EventLog.Append([new EventBatch("web", [.. Enumerable.Range(0, 20).Select(i => Event($"m{i}", $"user-{i % 4}", a.EventLog.PartitionCount))], Start.ToUnixTimeMilliseconds())], Start.ToUnixTimeMilliseconds(), 0);
        EventLogContractSettle(a);

        var paused = new RoutingConsumer(a.Deliveries, pauseOnFirstStep: true);
        var runnerA = Runner(paused, a, nodeA, clockA);
        var stepA = Task.Run(runnerA.RunStep);
        Assert.True(paused.Reading.Wait(TimeSpan.FromSeconds(30)), "node A never got to its commit");

        // Past A's lease on B's clock: B sees A dead, takes every partition and routes the same rows.
        clockB.Advance(options.LeaseDuration + TimeSpan.FromSeconds(1));
        nodeB.RenewAndClaim();
        var routedByB = Runner(new RoutingConsumer(b.Deliveries, pauseOnFirstStep: false), b, nodeB, clockB).RunAvailable();
        paused.Resume.Set();
        var rowsA = await stepA;

        Assert.Equal(a.EventLog.PartitionCount, nodeB.Held.Count);
        Assert.True(routedByB > 0);
        Assert.Equal(0, rowsA);
        Assert.IsType<LeaseLostException>(paused.Refused);
        var recorded = b.Deliveries.List("hook", null, 1000).Select(d => d.MessageId).ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"m{i}").Order(), recorded.Order());
    }

    private static void EventLogContractSettle(StoreHandle store) => Storage.EventLogContract.Settle(store.EventLog, 20);

    private static PendingEvent Event(string messageId, string user, int partitions) =>
        new(messageId, checkDuplicate: true, "track", Encoding.UTF8.GetBytes($$"""{"messageId":"{{messageId}}","userId":"{{user}}","type":"track","event":"E"}"""), EventPartitions.Of("web", user, partitions));

    private static ConsumerRunner Runner(IEventLogConsumer consumer, StoreHandle store, PartitionOwnership node, TimeProvider time) =>
        new(consumer, store.EventLog, store.Cursors, node, new LogAppended(), new EventLogOptions(), time, NullLogger<ConsumerRunner>.Instance);

    /// <summary>Records a delivery per message with its cursor advances, as the router does; the first step can wait to be let go.</summary>
    private sealed class RoutingConsumer(IDeliveryStore deliveries, bool pauseOnFirstStep) : IEventLogConsumer
    {
        public ManualResetEventSlim Reading { get; } = new();

        public ManualResetEventSlim Resume { get; } = new();

        public Exception? Refused { get; private set; }

        public string Name => "router";

        public ConsumerStart Start => ConsumerStart.Beginning;

        public void Consume(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances)
        {
            if (pauseOnFirstStep && !Reading.IsSet)
            {
                Reading.Set();
                Resume.Wait(TimeSpan.FromSeconds(60));
            }

            var routed = rows.SelectMany(r => LogMessages.Split(r.Messages).Select((m, i) => new NewDelivery(
                "hook", "all", "send", (string)System.Text.Json.Nodes.JsonNode.Parse(m)!["messageId"]!, r.Position, i, DeliveryStatus.Pending, null, "{}"u8.ToArray()))).ToList();
            try
            {
                deliveries.RecordRouted(routed, advances, StaleEpochTests.Start.ToUnixTimeMilliseconds());
            }
            catch (LeaseLostException lost)
            {
                Refused = lost;
                throw;
            }
        }
    }
}
