using System.Diagnostics;
using System.Text.Json;
using BenchmarkDotNet.Running;
using Sluice.Bench.Client;
using Sluice.Client;

// In-process (BenchmarkDotNet): the cost and allocation of one call.
//   Sluice.Bench.Client [BenchmarkDotNet arguments, e.g. --filter * --job short]
// End to end: one thread calling Track against a running `sluice serve`, then flushing.
//   Sluice.Bench.Client --e2e HOST WRITEKEY [COUNT]
if (args.Length >= 3 && args[0] == "--e2e")
{
    var count = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
    var failures = 0;
    await using var client = new SluiceClient(new SluiceClientOptions { WriteKey = args[2], Host = new Uri(args[1]), MaxQueueSize = count, FlushAt = 100 });
    client.Failed += f => Interlocked.Add(ref failures, f.MessageIds.Count);
    var properties = CallBenchmarks.Properties;
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        client.Track("user-" + (i % 1000), "Order Completed", properties);
    }

    var enqueued = clock.Elapsed;
    await client.FlushAsync();
    var delivered = clock.Elapsed;
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        messages = count,
        enqueuePerSecond = Math.Round(count / enqueued.TotalSeconds),
        endToEndPerSecond = Math.Round(count / delivered.TotalSeconds),
        endToEndSeconds = Math.Round(delivered.TotalSeconds, 2),
        dropped = client.DroppedMessages,
        failed = failures,
    }));
    return failures == 0 && client.DroppedMessages == 0 ? 0 : 3;
}

BenchmarkSwitcher.FromAssembly(typeof(CallBenchmarks).Assembly).Run(args);
return 0;
