using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Sluice.Infrastructure;

namespace Sluice.Cli;

public sealed class ReplayCommandTests
{
    [Fact]
    public async Task Sluice_replay_sends_a_destinations_failed_deliveries_again()
    {
        await using var receiver = await RecordingServer.StartAsync();
        receiver.AnswerNext(new ScriptedAnswer(400, "not yet"));
        var workspace = await TestWorkspace.WithTrackWebhookAsync("wk_replay", "hook", receiver.BaseUrl + "/in");
        await using var server = await workspace.StartAsync();
        using var client = new HttpClient();
        var track = new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + "/v1/track") { Content = new StringContent("""{"userId":"u","event":"E","messageId":"r-1"}""") };
        track.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("wk_replay:")));
        await client.SendAsync(track);
        await receiver.WaitForAsync(1);
        await WaitForFailedAsync(server);

        var (exitCode, output) = await RunAsync("replay", "--destination", "hook", "--host", server.BaseUrl, "--token", SluiceProcess.AdminToken);

        Assert.Equal(0, exitCode);
        Assert.Contains("requeued 1", output, StringComparison.Ordinal);
        Assert.Contains("this replay: 1 delivered, 0 failed again", output, StringComparison.Ordinal);
        Assert.Equal(2, (await receiver.WaitForAsync(2)).Count);
    }

    [Fact]
    public async Task Sluice_replay_without_a_token_says_what_is_missing()
    {
        var (exitCode, output) = await RunAsync("replay", "--destination", "hook", "--host", "http://127.0.0.1:9");

        Assert.Equal(2, exitCode);
        Assert.Contains("admin token", output, StringComparison.Ordinal);
    }

    private static async Task WaitForFailedAsync(SluiceProcess server)
    {
        for (var i = 0; i < 200; i++)
        {
            if ((await server.Admin.GetStringAsync("/api/v1/destinations/hook/stats")).Contains("\"failed\":1", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(25);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(TestPaths.SluiceDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SLUICE_ADMIN_TOKEN"] = "";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
