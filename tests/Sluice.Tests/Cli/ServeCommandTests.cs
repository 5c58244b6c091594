using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Sluice.Infrastructure;

namespace Sluice.Cli;

public sealed partial class ServeCommandTests
{
    [Fact]
    public async Task A_first_start_prints_a_write_key_an_owner_token_and_a_curl_that_sends_an_event_the_debugger_shows()
    {
        var data = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        await using var server = await SluiceProcess.StartAsync(data, environment: new Dictionary<string, string> { ["SLUICE_ADMIN_TOKEN"] = "" });
        await Eventually.True(() => server.Output.Contains("See it arrive", StringComparison.Ordinal));

        var output = server.Output;
        var curl = CurlLine().Match(output);
        Assert.True(curl.Success, output);
        var token = TokenLine().Match(output).Groups[1].Value;

        using var client = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Post, curl.Groups["url"].Value) { Content = new StringContent(curl.Groups["body"].Value) };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(curl.Groups["key"].Value + ":")));
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);

        var debugger = new HttpRequestMessage(HttpMethod.Get, $"{server.BaseUrl}/api/v1/sources/default/events?limit=10");
        debugger.Headers.Authorization = new("Bearer", token);
        var events = await (await client.SendAsync(debugger)).Content.ReadAsStringAsync();
        Assert.Contains("Hello Sluice", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_workspace_file_stops_start_up_naming_file_line_and_problem()
    {
        var directory = TestPaths.NewTemporaryDirectory();
        var config = Path.Combine(directory, "bad.yaml");
        await File.WriteAllTextAsync(config, "sources:\n  - id: web\n    writekey: x\n");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { TestPaths.SluiceDll, "serve", "--config", config, "--data", Path.Combine(directory, "data"), "--urls", $"http://127.0.0.1:{FreePort.Next()}" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains($"{config}:3:5: sources[0]: unknown key 'writekey'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_start_on_a_busy_port_says_so_in_one_line_exits_2_and_creates_nothing()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var data = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");

        var result = await SluiceCli.RunAsync(["serve", "--data", data, "--urls", $"http://127.0.0.1:{port}"], new Dictionary<string, string> { ["SLUICE_ADMIN_TOKEN"] = "" });

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"port {port} is in use", line, StringComparison.Ordinal);
        Assert.Contains("--urls", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), "the data folder was created although the server could not listen");
    }

    [Fact]
    public async Task A_mistyped_verb_gets_one_line_with_the_nearest_verb_and_exit_2()
    {
        var result = await SluiceCli.RunAsync(["trak", "--event", "E"]);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("sluice: 'trak' is not a command. Did you mean 'track'?", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_first_start_names_the_web_app_and_how_to_get_an_owner_token_later()
    {
        var data = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        await using var server = await SluiceProcess.StartAsync(data, environment: new Dictionary<string, string> { ["SLUICE_ADMIN_TOKEN"] = "" });
        await Eventually.True(() => server.Output.Contains("See it arrive", StringComparison.Ordinal));

        Assert.Contains($"Open {server.BaseUrl}/ in a browser and sign in with the owner token.", server.Output, StringComparison.Ordinal);
        Assert.Contains("SLUICE_ADMIN_TOKEN=", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("No XML encryptor configured", server.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"curl -u '(?<key>[^:]+):' .*\\\s*\n\s*-d '(?<body>[^']+)' (?<url>\S+/v1/track)")]
    private static partial Regex CurlLine();

    [GeneratedRegex(@"Owner admin token:\s+(\S+)")]
    private static partial Regex TokenLine();
}
