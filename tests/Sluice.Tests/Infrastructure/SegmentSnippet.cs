using System.Diagnostics;

namespace Sluice.Infrastructure;

/// <summary>Segment's official analytics.js snippet (npm <c>@segment/snippet</c>), made by <c>Compatibility/clients/snippet.mjs</c> for a host.</summary>
internal static class SegmentSnippet
{
    /// <param name="host">host:port of the Sluice server the page loads analytics.js from.</param>
    /// <param name="loadOptions">JSON of the options passed to <c>analytics.load</c>, if any.</param>
    public static async Task<string> ForAsync(string host, string writeKey, string? loadOptions = null)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Path.Combine(TestPaths.RepositoryRoot, "tests", "Sluice.Tests", "Compatibility", "clients"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "snippet.mjs", "--host", host, "--write-key", writeKey, "--scheme", "http" }.Concat(loadOptions is null ? [] : ["--load", loadOptions]))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"snippet.mjs failed ({process.ExitCode}):\n{await errors}");
        return await output;
    }
}
