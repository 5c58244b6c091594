using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.EventLog;
using Sluice.Profiles;
using Sluice.Profiles.Store;
using Sluice.Storage.Sqlite;
using Sluice.Workspace;

// Identity resolution alone, in-process on SQLite with durable commits (as `sluice serve` makes them):
// a realistic corpus (about 30% identify calls; 20,000 people on one to three devices; a few emails
// shared) appended to a fresh log in group commits of 100, then resolved by the profiles consumer in
// steps of 200 rows, as the runner reads them, on one thread. Prints events/s through the consumer
// (only its steps are timed), round by round; the first round warms the JIT.
var events = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
var rates = new List<double>();
for (var round = 0; round < 4; round++)
{
    rates.Add(Run(events, seed: round));
    Console.WriteLine($"round {round + 1}: {rates[^1]:0} events/s");
}

var measured = rates.Skip(1).Order().ToList();
Console.WriteLine($"median of rounds 2-4: {measured[1]:0} events/s through the profiles consumer, {events:N0} events a round");

static double Run(int count, int seed)
{
    var directory = Path.Combine(Path.GetTempPath(), "sluice-bench-profiles-" + Guid.NewGuid().ToString("N"));
    try
    {
        var database = new SqliteDatabase(directory, SqliteDurability.Full);
        using var log = new SqliteEventLog(database);
        var random = new Random(seed);
        var corpus = Corpus(count, random, log.PartitionCount).ToList();
        for (var first = 0; first < corpus.Count; first += 100)
        {
            log.Append([new EventBatch("web", corpus.GetRange(first, Math.Min(100, corpus.Count - first)), 1_000_000 + first)], 1_000_000 + first, 0);
        }

        var cursors = new SqliteConsumerCursors(database);
        var consumer = new ProfilesConsumer(new SqliteProfileStore(database), new IdentitySettingsSource(new IdentitySettings(), managedByFile: true));
        cursors.Register(consumer.Name, consumer.Start);
        var leases = new SqlitePartitionLeases(database).Claim("bench", 1_000, 0, long.MaxValue / 2, takeOver: true).ToDictionary(l => l.Partition, l => l.Epoch);
        var clock = new Stopwatch();
        var consumed = 0;
        // Steps as the server's runner reads them for this consumer.
        var rowsPerRead = new EventLogOptions().RowsPerRead * ((IEventLogConsumer)consumer).RowsPerReadMultiple;
        for (var rows = log.ReadFrom(0, rowsPerRead, null, ((IEventLogConsumer)consumer).MaxReadBytes); rows.Count > 0; rows = log.ReadFrom(rows[^1].Position, rowsPerRead, null, ((IEventLogConsumer)consumer).MaxReadBytes))
        {
            var advances = rows.GroupBy(r => r.Partition).Select(g => new CursorAdvance(consumer.Name, g.Key, g.Max(r => r.Position), "bench", leases[g.Key])).ToList();
            clock.Start();
            consumer.Consume(rows, advances);
            clock.Stop();
            consumed += rows.Sum(r => LogMessages.Split(r.Messages).Count);
        }

        if (consumed != count)
        {
            throw new InvalidOperationException($"consumed {consumed} of {count} events");
        }

        return consumed / clock.Elapsed.TotalSeconds;
    }
    finally
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}

static IEnumerable<PendingEvent> Corpus(int count, Random random, int partitions)
{
    const int People = 20_000;
    for (var i = 0; i < count; i++)
    {
        var person = random.Next(People);
        var anonymousId = $"device-{person}-{random.Next(1 + person % 3)}";
        var message = new JsonObject { ["type"] = "track", ["event"] = "Product Viewed", ["anonymousId"] = anonymousId, ["messageId"] = $"m{i}", ["timestamp"] = "2026-12-01T00:00:00Z" };
        var roll = random.NextDouble();
        if (roll < 0.3)
        {
            message["type"] = "identify";
            message.Remove("event");
            message["userId"] = $"user-{person}";
            message["traits"] = new JsonObject { ["email"] = random.NextDouble() < 0.01 ? "team@example.com" : $"p{person}@example.com", ["plan"] = random.NextDouble() < 0.5 ? "free" : "pro", ["visits"] = i };
        }
        else if (roll < 0.6)
        {
            message["userId"] = $"user-{person}";
            message["properties"] = new JsonObject { ["sku"] = $"sku-{random.Next(1_000)}", ["price"] = 12.5 };
        }

        var user = (string?)message["userId"] ?? anonymousId;
        yield return new PendingEvent($"m{i}", checkDuplicate: true, (string)message["type"]!, Encoding.UTF8.GetBytes(message.ToJsonString()), EventPartitions.Of("web", user, partitions));
    }
}
