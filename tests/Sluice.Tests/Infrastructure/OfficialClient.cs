using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Sluice.Infrastructure;

/// <summary>Runs the scripts in <c>Compatibility/clients</c>: official Node clients (from npm) sending to Sluice.</summary>
internal static class OfficialClient
{
    /// <summary>
    /// Segment's Node client sending tracks for <paramref name="users"/> users, <paramref name="events"/> each,
    /// round-robin over <paramref name="hosts"/> (cluster.mjs); a user's events go one after another.
    /// </summary>
    /// <returns>The calls the client reports acknowledged: messageId, userId, seq.</returns>
    public static async Task<List<JsonObject>> SendToClusterAsync(IReadOnlyList<string> hosts, string writeKey, string run, int users, int events, int pauseMilliseconds)
    {
        var directory = Path.Combine(TestPaths.RepositoryRoot, "tests", "Sluice.Tests", "Compatibility", "clients");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "cluster.mjs", "--hosts", string.Join(',', hosts), "--write-key", writeKey, "--run", run, "--users", $"{users}", "--events", $"{events}", "--pause-ms", $"{pauseMilliseconds}" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"cluster.mjs failed ({process.ExitCode}):\n{await errors}");
        return JsonNode.Parse(await output)!.AsArray().Select(c => c!.AsObject()).ToList();
    }

    /// <returns>Each call as sent: type, ids, event/name, and the messageId the client generated.</returns>
    public static async Task<List<JsonObject>> SendAsync(string client, string host, string writeKey)
    {
        var directory = Path.Combine(TestPaths.RepositoryRoot, "tests", "Sluice.Tests", "Compatibility", "clients");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "send.mjs", "--client", client, "--host", host, "--write-key", writeKey, "--run", Guid.NewGuid().ToString("N")[..8] })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"send.mjs failed ({process.ExitCode}):\n{await errors}");
        return JsonNode.Parse(await output)!.AsArray().Select(c => c!.AsObject()).ToList();
    }
}
