using System.Diagnostics;
using System.Text;
using Sluice.EventLog;
using Sluice.Storage.Sqlite;

// The cost of rows: group commits of 16 requests × 100 events appended to a fresh log (no fsync,
// so the disk doesn't hide it), with each request's users spread over the partitions (up to 64
// rows a commit) and with each request's users in one partition (16 rows a commit), alternately,
// in the same run. Prints events/s of each and the ratio.
const int Warmup = 50, Measured = 200, Requests = 16, Events = 100;
var padding = new string('x', 300);
var spread = new List<double>();
var grouped = new List<double>();
for (var round = 0; round < 5; round++)
{
    spread.Add(Run(spreadUsers: true));
    grouped.Add(Run(spreadUsers: false));
}

Console.WriteLine($"users spread over the partitions: {string.Join(" / ", spread.Select(r => $"{r:0}"))} events/s");
Console.WriteLine($"each request's users in one partition: {string.Join(" / ", grouped.Select(r => $"{r:0}"))} events/s");
Console.WriteLine($"ratio spread / grouped (medians): {Median(spread) / Median(grouped):0.00}");

double Run(bool spreadUsers)
{
    var directory = Path.Combine(Path.GetTempPath(), "sluice-bench-eventlog-" + Guid.NewGuid().ToString("N"));
    try
    {
        using var log = new SqliteEventLog(new SqliteDatabase(directory, SqliteDurability.Normal));
        long next = 0;
        Stopwatch? clock = null;
        for (var commit = 0; commit < Warmup + Measured; commit++)
        {
            if (commit == Warmup)
            {
                clock = Stopwatch.StartNew();
            }

            var group = new List<EventBatch>(Requests);
            for (var request = 0; request < Requests; request++)
            {
                var events = new List<PendingEvent>(Events);
                for (var i = 0; i < Events; i++)
                {
                    var id = $"m-{next++}";
                    var user = $"user-{request}-{i * 37 % 5000}";
                    var partition = spreadUsers ? EventPartitions.Of("bench", user, log.PartitionCount) : request * 4 % log.PartitionCount;
                    events.Add(new PendingEvent(id, true, "track", Encoding.UTF8.GetBytes($$"""{"messageId":"{{id}}","userId":"{{user}}","p":"{{padding}}"}"""), partition));
                }

                group.Add(new EventBatch("bench", events, commit));
            }

            log.Append(group, commit, 0);
        }

        return Measured * Requests * Events / clock!.Elapsed.TotalSeconds;
    }
    finally
    {
        Directory.Delete(directory, recursive: true);
    }
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
