using System.Net;
using Sluice.Infrastructure;

namespace Sluice.Workspace;

public sealed class WorkspaceReconcileTests
{
    [Fact]
    public async Task A_generated_write_key_is_printed_once_and_stays_the_same_across_restarts()
    {
        var workspace = await TestWorkspace.CreateAsync("sources:\n  - id: web\n");

        string key;
        await using (var first = await workspace.StartAsync())
        {
            key = first.PrintedWriteKey("web") ?? throw new Xunit.Sdk.XunitException("no write key printed:\n" + first.Output);
        }

        await using var second = await workspace.StartAsync();
        Assert.Null(second.PrintedWriteKey("web"));
        using var client = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Post, second.BaseUrl + "/v1/track") { Content = new StringContent($$"""{"writeKey":"{{key}}","userId":"u","event":"E"}""") };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Removing_a_source_from_the_file_removes_it_on_the_next_start()
    {
        var workspace = await TestWorkspace.CreateAsync("sources:\n  - {id: web, writeKey: wk_web}\n  - {id: app, writeKey: wk_app}\n");
        await using (await workspace.StartAsync())
        {
        }

        await workspace.RewriteAsync("sources:\n  - {id: web, writeKey: wk_web}\n");
        await using var server = await workspace.StartAsync();
        using var client = new HttpClient();

        var removed = await client.PostAsync(server.BaseUrl + "/v1/track", new StringContent("""{"writeKey":"wk_app","userId":"u","event":"E"}"""));
        var kept = await client.PostAsync(server.BaseUrl + "/v1/track", new StringContent("""{"writeKey":"wk_web","userId":"u","event":"E"}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, removed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
    }
}
