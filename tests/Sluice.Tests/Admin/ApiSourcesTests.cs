using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Sluice.Infrastructure;

namespace Sluice.Admin;

/// <summary>Sources made, renamed, re-keyed and deleted through the Admin API, next to the workspace file's.</summary>
public sealed class ApiSourcesTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-23T00:00:00Z"));
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync() => _sluice = await StartAsync(null);

    public async Task DisposeAsync() => await _sluice.DisposeAsync();

    private Task<InProcessServer> StartAsync(string? dataDirectory) => InProcessServer.StartAsync(
        o => dataDirectory is null ? o : o with { DataDirectory = dataDirectory },
        workspaceYaml: $"sources:\n  - {{id: web, writeKey: {InProcessServer.WriteKey}}}\ndestinations:\n  - {{id: hook, type: webhook, sources: [web]}}\n",
        time: _time);

    private async Task<JsonNode> CreateAsync(string id, string name)
    {
        var response = await _sluice.Admin.PostAsJsonAsync("/api/v1/sources", new { id, name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private Task<HttpResponseMessage> TrackAsync(string writeKey) =>
        _sluice.PostAsync("/v1/track", """{"userId":"u","event":"E"}""", writeKey);

    [Fact]
    public async Task A_source_made_through_the_API_takes_events_at_once_and_survives_a_restart()
    {
        var source = await CreateAsync("mobile", "Mobile app");
        var key = (string)source["writeKey"]!;

        Assert.Equal(HttpStatusCode.OK, (await TrackAsync(key)).StatusCode);
        Assert.Equal("api", (string?)source["managedBy"]);
        var dataDirectory = _sluice.DataDirectory;
        await _sluice.DisposeAsync();
        _sluice = await StartAsync(dataDirectory);

        Assert.Equal(HttpStatusCode.OK, (await TrackAsync(key)).StatusCode);
        var sources = JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/sources"))!["sources"]!.AsArray();
        Assert.Equal([("mobile", "api"), ("web", "workspace-file")], sources.Select(s => ((string)s!["id"]!, (string)s["managedBy"]!)));
        Assert.Equal(2, (await _sluice.EventsAsync("mobile")).Count);
    }

    [Fact]
    public async Task A_rotated_write_key_replaces_the_old_one_which_works_until_its_grace_period_ends()
    {
        var old = (string)(await CreateAsync("mobile", "Mobile"))["writeKey"]!;

        var rotated = JsonNode.Parse(await (await _sluice.Admin.PostAsJsonAsync("/api/v1/sources/mobile/rotate-write-key", new { graceHours = 1 })).Content.ReadAsStringAsync())!;
        var fresh = (string)rotated["writeKey"]!;

        Assert.NotEqual(old, fresh);
        Assert.Equal("2026-11-23T01:00:00.000Z", (string?)rotated["previousWriteKeyValidUntil"]);
        Assert.Equal(HttpStatusCode.OK, (await TrackAsync(fresh)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TrackAsync(old)).StatusCode);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await TrackAsync(old)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TrackAsync(fresh)).StatusCode);
    }

    [Fact]
    public async Task Renaming_and_deleting_follow_who_manages_the_source_and_what_reads_from_it()
    {
        var key = (string)(await CreateAsync("mobile", "Mobile"))["writeKey"]!;
        await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", new { id = "hook2", type = "webhook", sources = new[] { "mobile" } });

        var renamed = JsonNode.Parse(await (await _sluice.Admin.PatchAsJsonAsync("/api/v1/sources/mobile", new { name = "iOS app" })).Content.ReadAsStringAsync())!;
        var fileRename = await _sluice.Admin.PatchAsJsonAsync("/api/v1/sources/web", new { name = "x" });
        var inUse = await _sluice.Admin.DeleteAsync("/api/v1/sources/mobile");
        await _sluice.Admin.DeleteAsync("/api/v1/destinations/hook2");
        var deleted = await _sluice.Admin.DeleteAsync("/api/v1/sources/mobile");
        var badId = await _sluice.Admin.PostAsJsonAsync("/api/v1/sources", new { id = "Not Valid" });

        Assert.Equal("iOS app", (string?)renamed["name"]);
        Assert.Equal(HttpStatusCode.Conflict, fileRename.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, inUse.StatusCode);
        Assert.Contains("hook2", await inUse.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TrackAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
    }

    [Fact]
    public async Task A_file_that_gives_a_source_the_write_key_of_an_API_source_is_refused_naming_both()
    {
        var key = (string)(await CreateAsync("mobile", "Mobile"))["writeKey"]!;
        var dataDirectory = _sluice.DataDirectory;
        await _sluice.DisposeAsync();

        var refused = await Assert.ThrowsAsync<Sluice.Workspace.WorkspaceFileException>(() => InProcessServer.StartAsync(
            o => o with { DataDirectory = dataDirectory },
            workspaceYaml: $"sources:\n  - {{id: web, writeKey: {key}}}\n"));
        _sluice = await StartAsync(dataDirectory);

        Assert.Contains("source 'web': its writeKey is the write key of source 'mobile'", refused.Message, StringComparison.Ordinal);
    }
}
