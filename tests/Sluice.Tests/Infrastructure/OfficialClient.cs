using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Sluice.Infrastructure;

/// <summary>Runs <c>Compatibility/clients/send.mjs</c>: one run of every call type through an official Node client (from npm).</summary>
internal static class OfficialClient
{
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
