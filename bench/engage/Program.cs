using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Engage;
using Sluice.Engage.Computation;
using Sluice.Engage.Definitions;
using Sluice.Engage.Store;
using Sluice.EventLog;
using Sluice.Profiles;
using Sluice.Profiles.Store;
using Sluice.Storage.Sqlite;
using Sluice.Workspace;

// Engage on SQLite with durable commits, in-process, on one thread (docs/engage.md, BENCHMARKS.md):
// 1. events/s through the profiles consumer without and with 10 computed traits and 20 audiences
//    (Engage computes in the consumer's steps), alternating, on the same corpus; Engage's own cost per
//    event is the difference;
//    then the same over a second corpus of the same people, consumed into the profiles the first made (as a
//    running installation mostly sees: people it knows, with states stored), timing the second alone;
// 2. a new audience over STORED events already resolved: the backfill's time, then the evaluation sweep's;
// 3. previews on the profiles of (2): exact (a threshold on an aggregate computed already) and estimated
//    (a new aggregate, read from a sample's events).
var events = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
var stored = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
var without = new List<Measured>();
var with = new List<Measured>();
// EVENTS 0 measures the stored part alone.
for (var round = 0; round < (events > 0 ? 3 : 0); round++)
{
    without.Add(Consume(events, round, Definitions.None()).Measured);
    with.Add(Consume(events, round, Definitions.Full()).Measured);
    Console.WriteLine($"round {round + 1}: {without[^1].Rate:0} events/s without Engage, {with[^1].Rate:0} with 10 computed traits and 20 audiences");
}

// The first round warms the JIT; the median of the others (of two: the mean).
Report("", [.. without.Skip(1)], [.. with.Skip(1)]);

var knownWithout = new List<Measured>();
var knownWith = new List<Measured>();
for (var round = 0; round < (events > 0 ? 2 : 0); round++)
{
    knownWithout.Add(Consume(events, round, Definitions.None(), known: true).Measured);
    knownWith.Add(Consume(events, round, Definitions.Full(), known: true).Measured);
}

if (events > 0)
{
    Report("known people: ", knownWithout, knownWith);
}

var (_, store, _, log, directory) = Consume(stored, 7, Definitions.None(), keep: true);
try
{
    var clock = Stopwatch.StartNew();
    var audience = Definitions.Audience("new_buyers", "event('Order Completed').where(property('total') > 50).within(30 days).count() >= 1 OR trait('plan') = 'pro'");
    var engagement = new Engagement(new EngageDefinitions([], [audience]), TimeProvider.System);
    var backfill = new EngageBackfill(store, log, engagement, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true), NullLogger<EngageBackfill>.Instance);
    var steps = 0;
    while (backfill.Step() || store.EngageAggregates().Values.Any(a => a.DoneAt is null))
    {
        steps++;
    }

    var backfilled = clock.Elapsed;
    var profiles = store.ProfileCount();
    Console.WriteLine($"a new audience over {stored:N0} stored events ({profiles:N0} profiles): {backfilled.TotalSeconds:0.0} s in {steps} steps, {store.EngageSizes().GetValueOrDefault("new_buyers")?.Profiles ?? 0:N0} members");

    var preview = new EngagePreview(store, log, engagement);
    foreach (var (name, query) in new[]
    {
        ("exact", "event('Order Completed').where(property('total') > 50).within(30 days).count() >= 2"),
        ("estimated", "event('Product Viewed').within(7 days).count() >= 3"),
    })
    {
        var timings = new List<long>();
        JsonObject? answer = null;
        for (var i = 0; i < 3; i++)
        {
            answer = preview.Run(new EngageDefinitionInput(EngageDefinitionInput.Audience, "draft", "draft", query, false, []));
            timings.Add((long)answer["tookMs"]!);
        }

        Console.WriteLine($"preview ({name}) on {profiles:N0} profiles: {timings.Order().ElementAt(1)} ms (median of 3), size {answer!["size"]}");
    }
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(directory, recursive: true);
}

// The consumer's rate without and with Engage (means of the rounds given), and Engage's own cost: the difference;
// then what the consumer allocated an event and the collector's pauses a round, without and with Engage.
static void Report(string label, IReadOnlyCollection<Measured> without, IReadOnlyCollection<Measured> with)
{
    static double Mean(IEnumerable<double> values) => values.DefaultIfEmpty(double.NaN).Average();
    var plain = Mean(without.Select(m => m.Rate));
    var engaged = Mean(with.Select(m => m.Rate));
    var cost = (1 / engaged) - (1 / plain);
    Console.WriteLine($"{label}profiles consumer: {plain:0} events/s without Engage, {engaged:0} with it ({engaged / plain:0.00}); Engage's own cost {cost * 1e6:0.0} µs an event, {1 / cost:0} events/s on its own");
    Console.WriteLine($"{label}allocated {Mean(without.Select(m => m.BytesAnEvent)) / 1024:0.0} KB an event without Engage, {Mean(with.Select(m => m.BytesAnEvent)) / 1024:0.0} with it; the collector's pauses {Mean(without.Select(m => m.Paused.TotalMilliseconds)):0} and {Mean(with.Select(m => m.Paused.TotalMilliseconds)):0} ms a round");
}

// known: a first corpus is consumed untimed, then a second of the same people (other events, the same 60 days)
// is timed: the profiles and their states exist.
static (Measured Measured, SqliteProfileStore Store, SqliteDatabase Database, SqliteEventLog Log, string Directory) Consume(int count, int seed, EngageDefinitions definitions, bool keep = false, bool known = false)
{
    var directory = Path.Combine(Path.GetTempPath(), "sluice-bench-engage-" + Guid.NewGuid().ToString("N"));
    var database = new SqliteDatabase(directory, SqliteDurability.Full);
    var log = new SqliteEventLog(database);
    try
    {
        var random = new Random(seed);
        var start = DateTimeOffset.UtcNow.AddDays(-60).ToUnixTimeMilliseconds();
        void Append(List<PendingEvent> corpus)
        {
            for (var first = 0; first < corpus.Count; first += 100)
            {
                log.Append([new EventBatch("web", corpus.GetRange(first, Math.Min(100, corpus.Count - first)), start + first)], start + first, 0);
            }
        }

        Append([.. Corpus(count, random, log.PartitionCount, start)]);
        var cursors = new SqliteConsumerCursors(database);
        var store = new SqliteProfileStore(database);
        var consumer = new ProfilesConsumer(store, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true), new Engagement(definitions, TimeProvider.System));
        cursors.Register(consumer.Name, consumer.Start);
        var leases = new SqlitePartitionLeases(database).Claim("bench", 1_000, 0, long.MaxValue / 2, takeOver: true).ToDictionary(l => l.Partition, l => l.Epoch);
        var clock = new Stopwatch();
        var allocated = 0L;
        var paused = TimeSpan.Zero;
        // Steps as the server's runner reads them for this consumer.
        var rowsPerRead = new EventLogOptions().RowsPerRead * ((IEventLogConsumer)consumer).RowsPerReadMultiple;
        long ConsumeAll(long after, bool timed)
        {
            for (var rows = log.ReadFrom(after, rowsPerRead, null, ((IEventLogConsumer)consumer).MaxReadBytes); rows.Count > 0; rows = log.ReadFrom(rows[^1].Position, rowsPerRead, null, ((IEventLogConsumer)consumer).MaxReadBytes))
            {
                var advances = rows.GroupBy(r => r.Partition).Select(g => new CursorAdvance(consumer.Name, g.Key, g.Max(r => r.Position), "bench", leases[g.Key])).ToList();
                if (timed)
                {
                    clock.Start();
                    allocated -= GC.GetAllocatedBytesForCurrentThread();
                    paused -= GC.GetTotalPauseDuration();
                }

                consumer.Consume(rows, advances);
                clock.Stop();
                if (timed)
                {
                    allocated += GC.GetAllocatedBytesForCurrentThread();
                    paused += GC.GetTotalPauseDuration();
                }

                after = rows[^1].Position;
            }

            return after;
        }

        var consumed = ConsumeAll(0, timed: !known);
        if (known)
        {
            Append([.. Corpus(count, new Random(seed + 1_000), log.PartitionCount, start, messageIds: "k")]);
            ConsumeAll(consumed, timed: true);
        }

        return (new Measured(count / clock.Elapsed.TotalSeconds, (double)allocated / count, paused), store, database, log, directory);
    }
    finally
    {
        if (!keep)
        {
            log.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}

// People (a tenth of the events) on one to three devices over 60 days: 30% identify calls (email, plan),
// the rest product views, orders with a total and a category, and page views.
static IEnumerable<PendingEvent> Corpus(int count, Random random, int partitions, long start, string messageIds = "m")
{
    var people = Math.Max(1, count / 10);
    var categories = new[] { "shoes", "shirts", "hats", "socks", "bags" };
    for (var i = 0; i < count; i++)
    {
        var person = random.Next(people);
        var anonymousId = $"device-{person}-{random.Next(1 + (person % 3))}";
        var at = DateTimeOffset.FromUnixTimeMilliseconds(start + (long)(i * (60.0 * 86_400_000 / count)));
        var message = new JsonObject { ["anonymousId"] = anonymousId, ["messageId"] = $"{messageIds}{i}", ["timestamp"] = at.ToString("O") };
        var roll = random.NextDouble();
        if (roll < 0.3)
        {
            message["type"] = "identify";
            message["userId"] = $"user-{person}";
            message["traits"] = new JsonObject { ["email"] = $"p{person}@example.com", ["plan"] = random.NextDouble() < 0.3 ? "pro" : "free" };
        }
        else if (roll < 0.6)
        {
            message["type"] = "track";
            message["event"] = "Product Viewed";
            message["properties"] = new JsonObject { ["category"] = categories[random.Next(categories.Length)], ["price"] = random.Next(5, 200) };
        }
        else if (roll < 0.75)
        {
            message["type"] = "track";
            message["event"] = "Order Completed";
            message["userId"] = $"user-{person}";
            message["properties"] = new JsonObject { ["category"] = categories[random.Next(categories.Length)], ["total"] = random.Next(5, 300) };
        }
        else
        {
            message["type"] = "page";
            message["name"] = random.NextDouble() < 0.2 ? "Pricing" : "Home";
            message["properties"] = new JsonObject { ["path"] = random.NextDouble() < 0.2 ? "/pricing" : "/" };
        }

        var user = (string?)message["userId"] ?? anonymousId;
        yield return new PendingEvent($"{messageIds}{i}", checkDuplicate: true, (string)message["type"]!, Encoding.UTF8.GetBytes(message.ToJsonString()), EventPartitions.Of("web", user, partitions));
    }
}

/// <summary>A timed consumption: events a second, bytes the consumer's thread allocated an event, the collector's pauses meanwhile.</summary>
internal readonly record struct Measured(double Rate, double BytesAnEvent, TimeSpan Paused);

/// <summary>The definitions measured: 10 computed traits and 20 audiences of the kinds docs/engage.md lists.</summary>
internal static class Definitions
{
    public static EngageDefinitions None() => new([], []);

    public static EngageDefinitions Full()
    {
        var traits = new[]
        {
            ("orders_7d", "event('Order Completed').within(7 days).count()"),
            ("orders_30d", "event('Order Completed').within(30 days).count()"),
            ("spend_total", "event('Order Completed').sum(property('total'))"),
            ("avg_order_30d", "event('Order Completed').within(30 days).avg(property('total'))"),
            ("largest_order", "event('Order Completed').max(property('total'))"),
            ("favourite_category", "event('Product Viewed').within(14 days).mode(property('category'), 2)"),
            ("first_category", "event('Product Viewed').first(property('category'))"),
            ("last_order_category", "event('Order Completed').last(property('category'))"),
            ("categories_30d", "event('Product Viewed').within(30 days).unique(property('category'))"),
            ("page_views_7d", "event('Page Viewed').within(7 days).count()"),
        }.Select(t => new ComputedTraitDefinition(t.Item1, t.Item1, t.Item2, EngageQueryParser.ParseComputedTrait(t.Item2), false)).ToList();
        var audiences = new List<AudienceDefinition>();
        for (var i = 0; i < 10; i++)
        {
            audiences.Add(Audience($"buyers_{i}", $"event('Order Completed').where(property('total') > {20 * i}).within({3 + i} days).count() >= {1 + (i % 3)}"));
        }

        for (var i = 0; i < 5; i++)
        {
            audiences.Add(Audience($"viewers_{i}", $"event('Product Viewed').where(property('category') = '{new[] { "shoes", "shirts", "hats", "socks", "bags" }[i]}').between(1 days, {10 + i} days).count() >= 2 AND trait('plan') = 'pro'"));
        }

        audiences.Add(Audience("pricing_regulars", "event('Page Viewed').where(property('path') = '/pricing').within(7 days).count() >= 2"));
        audiences.Add(Audience("lapsed", "NOT event('Order Completed').within(14 days).count() >= 1 AND trait('orders_30d') >= 1"));
        audiences.Add(Audience("big_spenders", "trait('spend_total') >= 1000 OR trait('largest_order') > 250"));
        audiences.Add(Audience("engaged_buyers", "trait('buyers_0') = true AND trait('page_views_7d') >= 3"));
        audiences.Add(Audience("pro_users", "trait('plan') = 'pro'"));
        return new EngageDefinitions(traits, audiences);
    }

    public static AudienceDefinition Audience(string key, string query) => new(key, key, query, EngageQueryParser.ParseAudience(query), false);
}
