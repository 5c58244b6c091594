using System.Diagnostics;
using Sluice.Infrastructure;
using Sluice.Storage;
using Sluice.Storage.Sqlite;

namespace Sluice.EventLog;

/// <summary>Two consumers in a process killed with SIGKILL at random points resume where they committed.</summary>
public sealed class ConsumerCrashTests
{
    private const int Messages = 3_000;

    [Fact]
    public async Task Killed_at_random_points_two_consumers_resume_where_they_committed_writing_nothing_twice_and_skipping_nothing()
    {
        var directory = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        var database = new SqliteDatabase(directory, SqliteDurability.Full);
        OutputConsumer.CreateTable(database);
        using (var log = new SqliteEventLog(database))
        {
            for (var i = 0; i < Messages; i += 25)
            {
                log.Append([new EventBatch("web", [.. Enumerable.Range(i, 25).Select(n => EventLogContract.Event($"m{n}", $"user-{n % 37}", log.PartitionCount))], i)], i, 0);
            }
        }

        var seed = Environment.TickCount;
        var random = new Random(seed);
        var kills = new List<(int AfterMs, int Fast, int Slow)>(); // ms after the consumers ran
        for (var round = 0; round < 10 && OutputConsumer.Output(database, "slow").Count < Messages; round++)
        {
            var fastBefore = OutputConsumer.Output(database, "fast").Count;
            using var host = Start(directory);
            // From when the consumers run (the fast one has moved), not from the process start, which a busy machine can make slow.
            for (var i = 0; i < 300 && fastBefore < Messages && OutputConsumer.Output(database, "fast").Count == fastBefore; i++)
            {
                await Task.Delay(100);
            }

            var after = random.Next(200, 1_500);
            await Task.Delay(after);
            host.Kill();
            await host.WaitForExitAsync();
            kills.Add((after, OutputConsumer.Output(database, "fast").Count, OutputConsumer.Output(database, "slow").Count));
        }

        string lastOutput;
        using (var last = Start(directory))
        {
            for (var i = 0; i < 600 && (OutputConsumer.Output(database, "fast").Count < Messages || OutputConsumer.Output(database, "slow").Count < Messages); i++)
            {
                await Task.Delay(100);
            }

            last.Kill();
            await last.WaitForExitAsync();
            lastOutput = await last.StandardOutput.ReadToEndAsync() + await last.StandardError.ReadToEndAsync();
        }

        var story = $"seed {seed}; kills (ms after start, fast, slow): {string.Join(", ", kills)}; the last run said: {lastOutput}";
        foreach (var consumer in new[] { "fast", "slow" })
        {
            var output = OutputConsumer.Output(database, consumer);
            Assert.True(output.Count == Messages, $"{consumer} wrote {output.Count} rows for {Messages} messages; {story}");
            Assert.True(output.Select(o => o.MessageId).Distinct().Count() == Messages, $"{consumer} skipped a message; {story}");
            ConsumerRunnerTests.AssertEachUsersOrder(output);
        }

        Assert.Contains(kills, k => k.Slow is > 0 and < Messages);
    }

    private static Process Start(string directory)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(typeof(ConsumerHostProgram).Assembly.Location);
        start.ArgumentList.Add(ConsumerHostProgram.Command);
        start.ArgumentList.Add(directory);
        return Process.Start(start)!;
    }
}
