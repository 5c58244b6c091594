using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Workspace;

/// <summary>
/// Two servers on one store stand for two nodes: what one changes in the workspace reaches the
/// other's caches through the store, not through the process that made the change.
/// </summary>
public sealed class WorkspaceChangesTests : IAsyncLifetime
{
    private RecordingServer _receiver = null!;
    private InProcessServer _first = null!;
    private InProcessServer _second = null!;

    public async Task InitializeAsync()
    {
        _receiver = await RecordingServer.StartAsync();
        _first = await InProcessServer.StartAsync();
        // Started second on the same files, it holds every partition: the first node's events are routed here.
        _second = await InProcessServer.StartAsync(o => o with { DataDirectory = _first.DataDirectory });
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task A_destination_made_on_one_node_routes_events_on_the_node_that_holds_the_partitions()
    {
        var created = await _first.Admin.PostAsync("/api/v1/destinations", new StringContent($$$"""
            {"id":"hook","type":"webhook","sources":["{{{InProcessServer.SourceId}}}"],"mappings":[{"name":"All","action":"send","trigger":"type = \"track\"","mapping":{"url":"{{{_receiver.BaseUrl}}}/in","method":"POST","data":{"@path":"$."} }}]}
            """));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        // No waiting: the node that routes reads the workspace's version before it routes.
        await _first.PostAsync("/v1/track", """{"userId":"ada","event":"Shared","messageId":"shared-1"}""");

        var received = Assert.Single(await _receiver.WaitForAsync(1));
        Assert.Contains("shared-1", received.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_source_made_on_one_node_takes_events_on_the_other()
    {
        var created = JsonNode.Parse(await (await _first.Admin.PostAsync("/api/v1/sources", new StringContent("""{"id":"shop"}"""))).Content.ReadAsStringAsync())!;
        var writeKey = (string)created["writeKey"]!;

        // Issue 13: a change made on one node is used by the others within 2 s.
        await Eventually.True(
            async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = new StringContent("""{"userId":"ada","event":"Hello"}""") };
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(writeKey + ":")));
                return (await _second.Http.SendAsync(request)).IsSuccessStatusCode;
            },
            TimeSpan.FromSeconds(2),
            "the other node took events for the source within 2 s");
    }

    [Fact]
    public async Task A_token_revoked_on_one_node_is_refused_by_the_other_at_once()
    {
        var minted = JsonNode.Parse(await (await _first.Admin.PostAsync("/api/v1/tokens", new StringContent("""{"name":"ci","role":"read-only"}"""))).Content.ReadAsStringAsync())!;
        using var client = new HttpClient { BaseAddress = new Uri(_second.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)minted["token"]!);
        var before = await client.GetAsync("/api/v1/sources");

        (await _first.Admin.DeleteAsync($"/api/v1/tokens/{(string)minted["id"]!}")).EnsureSuccessStatusCode();
        var after = await client.GetAsync("/api/v1/sources");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }
}
