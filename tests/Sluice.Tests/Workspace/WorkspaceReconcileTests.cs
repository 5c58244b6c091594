using System.Net;
using Sluice.Infrastructure;

namespace Sluice.Workspace;

public sealed class WorkspaceReconcileTests
{
    [Fact]
    public async Task A_generated_write_key_is_printed_once_and_stays_the_same_across_restarts()
    {
        var directory = TestPaths.NewTemporaryDirectory();
        var config = Path.Combine(directory, "sluice.yaml");
        await File.WriteAllTextAsync(config, "sources:\n  - id: web\n");
        var data = Path.Combine(directory, "data");

        string key;
        await using (var first = await SluiceProcess.StartAsync(data, config))
        {
            key = first.PrintedWriteKey("web") ?? throw new Xunit.Sdk.XunitException("no write key printed:\n" + first.Output);
        }

        await using var second = await SluiceProcess.StartAsync(data, config);
        Assert.Null(second.PrintedWriteKey("web"));
        using var client = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Post, second.BaseUrl + "/v1/track") { Content = new StringContent($$"""{"writeKey":"{{key}}","userId":"u","event":"E"}""") };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Removing_a_source_from_the_file_removes_it_on_the_next_start()
    {
        var directory = TestPaths.NewTemporaryDirectory();
        var config = Path.Combine(directory, "sluice.yaml");
        var data = Path.Combine(directory, "data");
        await File.WriteAllTextAsync(config, "sources:\n  - {id: web, writeKey: wk_web}\n  - {id: app, writeKey: wk_app}\n");
        await using (await SluiceProcess.StartAsync(data, config))
        {
        }

        await File.WriteAllTextAsync(config, "sources:\n  - {id: web, writeKey: wk_web}\n");
        await using var server = await SluiceProcess.StartAsync(data, config);
        using var client = new HttpClient();

        var removed = await client.PostAsync(server.BaseUrl + "/v1/track", new StringContent("""{"writeKey":"wk_app","userId":"u","event":"E"}"""));
        var kept = await client.PostAsync(server.BaseUrl + "/v1/track", new StringContent("""{"writeKey":"wk_web","userId":"u","event":"E"}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, removed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
    }
}
