using System.Diagnostics;
using System.Globalization;
using System.Text;
using Sluice.EventLog;
using Sluice.Privacy;
using Sluice.Privacy.Erasure;
using Sluice.Privacy.Store;
using Sluice.Profiles.Store;
using Sluice.Storage;
using Sluice.Storage.Sqlite;
using Sluice.Workspace;

// A deletion regulation's part in Sluice's own store, on SQLite with durable commits, in-process
// (docs/privacy.md, BENCHMARKS.md): a log of EVENTS events from 10,000 users (100 a batch, as /v1/batch
// stores them: every row shared by many users), DELIVERIES deliveries of the newest events, and a
// DELETE_ONLY request for one user who has 1 event in 10,000 (the deliveries are of the oldest events). Measured: the whole erasure (the log's
// scan, the erasure of the subject's messages in their rows, the deliveries' scan), and each phase.
var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var deliveries = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000;
const int Users = 10_000;
const string Subject = "user-4242";

var directory = Path.Combine(Path.GetTempPath(), $"sluice-bench-privacy-{Guid.NewGuid():N}");
try
{
    var database = new SqliteDatabase(directory, SqliteDurability.Full);
    using var log = new SqliteEventLog(database);
    var cursors = new SqliteConsumerCursors(database);
    var leases = new SqlitePartitionLeases(database);
    var deliveryStore = new SqliteDeliveryStore(database);
    var profiles = new SqliteProfileStore(database);
    var body = new StringBuilder();
    var random = new Random(7);
    var clock = Stopwatch.StartNew();
    for (var first = 0; first < events; first += 1_000)
    {
        var batches = new List<EventBatch>();
        for (var b = first; b < Math.Min(first + 1_000, events); b += 100)
        {
            var pending = new List<PendingEvent>();
            for (var i = b; i < Math.Min(b + 100, events); i++)
            {
                var user = $"user-{random.Next(Users)}";
                body.Clear().Append(CultureInfo.InvariantCulture, $$"""{"type":"track","event":"Order Completed","userId":"{{user}}","messageId":"m-{{i}}","properties":{"total":{{i % 97}},"currency":"EUR","items":[{"sku":"sku-{{i % 1000}}","quantity":1}]},"context":{"library":{"name":"analytics-node","version":"2.1.0"},"ip":"203.0.113.9"},"timestamp":"2026-12-05T10:00:00.000Z","receivedAt":"2026-12-05T10:00:00.000Z"}""");
                pending.Add(new PendingEvent($"m-{i}", checkDuplicate: false, "track", Encoding.UTF8.GetBytes(body.ToString()), EventPartitions.Of("web", user, log.PartitionCount)));
            }

            batches.Add(new EventBatch("web", pending, 1_000));
        }

        log.Append(batches, 1_000, 0);
    }

    var head = log.Head();
    Console.WriteLine($"stored {events:N0} events in {clock.Elapsed.TotalSeconds:0.0} s; the log's head is {head:N0}");

    // Consumers have read everything: the erasure never waits for them here.
    foreach (var consumer in new[] { "router", "profiles" })
    {
        cursors.Register(consumer, ConsumerStart.Now);
    }

    var lease = leases.Claim("bench", 1_000, now: 0, until: long.MaxValue, takeOver: true);
    var routed = new List<NewDelivery>();
    for (var rows = log.ReadFrom(0, 1_000, null); rows.Count > 0 && routed.Count < deliveries; rows = log.ReadFrom(rows[^1].Position, 1_000, null))
    {
        foreach (var row in rows)
        {
            var index = 0;
            foreach (var message in LogMessages.Split(row.Messages))
            {
                if (routed.Count < deliveries)
                {
                    routed.Add(new NewDelivery("hook", "all", "send", $"m-{row.Position}-{index}", row.Position, index, DeliveryStatus.Delivered, null, message));
                }

                index++;
            }

        }
    }

    foreach (var chunk in routed.Chunk(5_000))
    {
        deliveryStore.RecordRouted(chunk, [], now: 1_000);
    }

    Console.WriteLine($"recorded {routed.Count:N0} deliveries");
    var store = new RegulationStore(profiles);
    var erasure = new StoreErasure(store, log, database);
    var regulation = new StoredRegulation(
        "reg_bench", RegulationTypes.DeleteOnly, Sluice.Workspace.Subject.UserId, [Subject], [new Sluice.Workspace.Subject(Sluice.Workspace.Subject.UserId, Subject).Hash], 1,
        1_000, "bench", ErasurePhases.Scan, head, 0, 0, 0, 0, 0, null, null);
    store.Create(regulation, [], 1_000);
    var phases = new Dictionary<string, TimeSpan>();
    clock.Restart();
    var steps = 0;
    while (store.Claim("bench", 2_000, 3_000) is { } claimed)
    {
        var started = clock.Elapsed;
        erasure.Step(claimed, 2_000);
        store.Release(claimed.Id);
        phases[claimed.Phase] = phases.GetValueOrDefault(claimed.Phase) + (clock.Elapsed - started);
        steps++;
    }

    var total = clock.Elapsed;
    var done = store.Find("reg_bench")!;
    Console.WriteLine($"erased {done.EventsErased:N0} events and {done.DeliveriesErased:N0} deliveries of one user among {events:N0} events and {routed.Count:N0} deliveries in {total.TotalSeconds:0.00} s ({steps} steps): {events / total.TotalSeconds:N0} stored events/s");
    foreach (var (phase, took) in phases)
    {
        Console.WriteLine($"  {phase}: {took.TotalSeconds:0.00} s");
    }
}
finally
{
    Directory.Delete(directory, recursive: true);
}
