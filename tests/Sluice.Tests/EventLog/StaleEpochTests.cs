using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sluice.Storage;

namespace Sluice.EventLog;

/// <summary>
/// Two nodes on one PostgreSQL store, node A paused in the middle of a step (after reading, before
/// committing). Past its lease, node B claims the partitions and consumes the same rows, and the store
/// must refuse A's commit when it resumes. Within its lease, A gives B its share only once the step has
/// committed: a step may have sent what it commits (the router does), and B would send it again.
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
        var clockA = new FakeTimeProvider(Start);
        var clockB = new FakeTimeProvider(Start);
        var nodeA = Node(a, clockA);
        var nodeB = Node(b, clockB);
        nodeA.RenewAndClaim();
        AppendTwentyEvents(a);

        var paused = new RoutingConsumer(a.Deliveries, pauseOnFirstStep: true);
        var runnerA = Runner(paused, a, nodeA, clockA);
        var stepA = Task.Run(runnerA.RunStep);
        Assert.True(paused.Reading.Wait(TimeSpan.FromSeconds(30)), "node A never got to its commit");

        // Past A's lease on B's clock: B sees A dead, takes every partition and routes the same rows.
        clockB.Advance(new EventLogOptions().LeaseDuration + TimeSpan.FromSeconds(1));
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

    [Fact]
    public async Task A_node_hands_partitions_to_a_joining_node_only_once_its_step_under_way_has_committed()
    {
        using var nodes = new PausedNodes(_backend);
        var (a, b, nodeA, nodeB, clock, paused, stepA) = nodes;

        // B beats, so A's share falls to half; A's renewal gives up the other half, once its step is over.
        nodeB.RenewAndClaim();
        var handOver = Task.Run(nodeA.RenewAndClaim);
        var handedUnderStep = await Task.WhenAny(handOver, Task.Delay(TimeSpan.FromSeconds(1))) == handOver;
        nodeB.RenewAndClaim();
        var heldByBUnderStep = nodeB.Held.Count;
        paused.Resume.Set();
        var rowsA = await stepA;
        await handOver;
        RouteTheRest(b, nodeB, clock);

        Assert.False(handedUnderStep, "A handed its partitions over under a step");
        Assert.Equal(0, heldByBUnderStep);
        Assert.Null(paused.Refused);
        Assert.True(rowsA > 0);
        Assert.Equal(a.EventLog.PartitionCount / 2, nodeB.Held.Count);
        AssertEachRecordedOnce(b);
    }

    [Fact]
    public async Task A_node_stopping_gives_its_partitions_up_only_once_its_step_under_way_has_committed()
    {
        using var nodes = new PausedNodes(_backend);
        var (a, b, nodeA, nodeB, clock, paused, stepA) = nodes;
        var stopping = Task.Run(() => nodeA.StopAsync(CancellationToken.None));
        var stoppedUnderStep = await Task.WhenAny(stopping, Task.Delay(TimeSpan.FromSeconds(1))) == stopping;
        nodeB.RenewAndClaim();
        var heldByBUnderStep = nodeB.Held.Count;
        paused.Resume.Set();
        await stepA;
        await stopping;
        RouteTheRest(b, nodeB, clock);

        Assert.False(stoppedUnderStep, "A gave its partitions up under a step");
        Assert.Equal(0, heldByBUnderStep);
        Assert.Null(paused.Refused);
        Assert.Equal(a.EventLog.PartitionCount, nodeB.Held.Count);
        AssertEachRecordedOnce(b);
    }

    /// <summary>Nodes A and B on one clock: A holds every partition and twenty events, and its first step waits to commit.</summary>
    private sealed class PausedNodes : IDisposable
    {
        public PausedNodes(PostgresBackend backend)
        {
            A = backend.Open();
            B = backend.Open();
            NodeA = Node(A, Clock);
            NodeB = Node(B, Clock);
            NodeA.RenewAndClaim();
            AppendTwentyEvents(A);
            (Paused, StepA) = PauseAStep(A, NodeA, Clock);
        }

        public StoreHandle A { get; }

        public StoreHandle B { get; }

        public PartitionOwnership NodeA { get; }

        public PartitionOwnership NodeB { get; }

        public FakeTimeProvider Clock { get; } = new(Start);

        public RoutingConsumer Paused { get; }

        public Task<int> StepA { get; }

        public void Deconstruct(out StoreHandle a, out StoreHandle b, out PartitionOwnership nodeA, out PartitionOwnership nodeB, out FakeTimeProvider clock, out RoutingConsumer paused, out Task<int> stepA) =>
            (a, b, nodeA, nodeB, clock, paused, stepA) = (A, B, NodeA, NodeB, Clock, Paused, StepA);

        public void Dispose()
        {
            Paused.Resume.Set();
            A.Dispose();
            B.Dispose();
        }
    }

    /// <summary>Starts a step of the node and returns once it has read and waits to commit.</summary>
    private static (RoutingConsumer Paused, Task<int> Step) PauseAStep(StoreHandle store, PartitionOwnership node, TimeProvider clock)
    {
        var paused = new RoutingConsumer(store.Deliveries, pauseOnFirstStep: true);
        var step = Task.Run(Runner(paused, store, node, clock).RunStep);
        Assert.True(paused.Reading.Wait(TimeSpan.FromSeconds(30)), "the node never got to its commit");
        return (paused, step);
    }

    /// <summary>The other node takes what it may now and routes what was not routed.</summary>
    private static void RouteTheRest(StoreHandle store, PartitionOwnership node, TimeProvider clock)
    {
        node.RenewAndClaim();
        Runner(new RoutingConsumer(store.Deliveries, pauseOnFirstStep: false), store, node, clock).RunAvailable();
    }

    private static void AssertEachRecordedOnce(StoreHandle store) =>
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"m{i}").Order(), store.Deliveries.List("hook", null, 1000).Select(d => d.MessageId).Order());

    private static PartitionOwnership Node(StoreHandle store, TimeProvider clock) =>
        new(store.Leases, store.EventLog, new EventLogOptions { TakeOverAtStart = false }, clock, NullLogger<PartitionOwnership>.Instance);

    /// <summary>Events m0 … m19 of four users, readable once appended.</summary>
    private static void AppendTwentyEvents(StoreHandle store)
    {
        store.EventLog.Append([new EventBatch("web", [.. Enumerable.Range(0, 20).Select(i => Event($"m{i}", $"user-{i % 4}", store.EventLog.PartitionCount))], Start.ToUnixTimeMilliseconds())], Start.ToUnixTimeMilliseconds(), 0);
        Storage.EventLogContract.Settle(store.EventLog, 20);
    }

    private static PendingEvent Event(string messageId, string user, int partitions) =>
        new(messageId, checkDuplicate: true, "track", Encoding.UTF8.GetBytes($$"""{"messageId":"{{messageId}}","userId":"{{user}}","type":"track","event":"E"}"""), EventPartitions.Of("web", user, partitions));

    private static ConsumerRunner Runner(IEventLogConsumer consumer, StoreHandle store, PartitionOwnership node, TimeProvider time) =>
        new(consumer, store.EventLog, store.Cursors, node, new LogAppended(), new EventLogOptions(), new ForegroundBacklog(), time, NullLogger<ConsumerRunner>.Instance);

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
