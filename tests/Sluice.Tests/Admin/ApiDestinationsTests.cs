using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Admin;

/// <summary>Destinations made, changed and deleted through the Admin API: checked like the file's, delivering at once, secrets encrypted at rest.</summary>
public sealed class ApiDestinationsTests : IAsyncLifetime
{
    private const string ApiKey = "fs-api-secret-9876";
    private RecordingServer _service = null!;
    private InProcessServer _sluice = null!;
    private string _dataDirectory = null!;

    public async Task InitializeAsync()
    {
        _service = await RecordingServer.StartAsync();
        _sluice = await StartAsync(null);
    }

    public async Task DisposeAsync()
    {
        await _sluice.DisposeAsync();
        await _service.DisposeAsync();
    }

    private async Task<InProcessServer> StartAsync(string? dataDirectory)
    {
        var server = await InProcessServer.StartAsync(
            o => dataDirectory is null ? o : o with { DataDirectory = dataDirectory },
            workspaceYaml: $"sources:\n  - {{id: web, writeKey: {InProcessServer.WriteKey}}}\ndestinations:\n  - {{id: from-file, type: webhook, sources: [web]}}\n");
        _dataDirectory = server.DataDirectory;
        return server;
    }

    private object FullStory(string id = "fs") => new
    {
        id,
        type = "actions-fullstory-cloud",
        sources = new[] { "web" },
        settings = new { apiKey = ApiKey, baseUrl = _service.BaseUrl },
    };

    private static async Task<JsonNode> BodyAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [Fact]
    public async Task A_destination_made_through_the_API_checks_its_key_and_delivers_at_once()
    {
        var created = await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", FullStory());
        var body = await BodyAsync(created);
        await _sluice.PostAsync("/v1/track", """{"userId":"u1","event":"Signed Up","messageId":"api-1"}""");
        var delivery = await DeliveryLog.WaitForAsync(_sluice.Admin, "fs", "api-1", DeliveryLog.Status("delivered"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(("api", "••••••••"), ((string?)body["managedBy"], (string?)body["settings"]!["apiKey"]));
        Assert.True((bool?)body["authentication"]!["valid"]);
        Assert.Equal(["GET /me", "POST /v2/events"], _service.Received.Select(r => $"{r.Method} {r.Path}"));
        Assert.Equal("Basic " + ApiKey, _service.Received[1].Headers["Authorization"]);
        Assert.Equal("Track Event", (string?)delivery["mapping"]);
        Assert.DoesNotContain(ApiKey, await _sluice.Admin.GetStringAsync("/api/v1/destinations"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_definition_is_refused_with_the_field_and_the_reason_as_the_file_would_be()
    {
        var badTrigger = await BodyAsync(await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", new
        {
            id = "hook",
            type = "webhook",
            sources = new[] { "web" },
            mappings = new[] { new { name = "m", action = "send", trigger = "type = ", mapping = new { url = "http://127.0.0.1:9/in", method = "POST" } } },
        }));
        var noKey = await BodyAsync(await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", new { id = "fs2", type = "actions-fullstory-cloud", sources = new[] { "web" } }));
        var taken = await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", FullStory("from-file"));
        var unknownSource = await BodyAsync(await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", new { id = "x", type = "webhook", sources = new[] { "mobile" } }));

        Assert.Equal("mappings[0].trigger", (string?)badTrigger["error"]!["problems"]![0]!["field"]);
        Assert.StartsWith("invalid FQL: position", (string?)badTrigger["error"]!["problems"]![0]!["message"], StringComparison.Ordinal);
        Assert.Equal(("settings", "Fullstory Cloud Mode (Actions) needs the setting 'apiKey' (API Key)"), ((string?)noKey["error"]!["problems"]![0]!["field"], (string?)noKey["error"]!["problems"]![0]!["message"]));
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal("sources[0]", (string?)unknownSource["error"]!["problems"]![0]!["field"]);
        Assert.Equal(HttpStatusCode.NotFound, (await _sluice.Admin.GetAsync("/api/v1/destinations/hook")).StatusCode);
    }

    [Fact]
    public async Task Changes_apply_at_once_and_a_secret_sent_back_masked_keeps_its_value()
    {
        await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", FullStory());
        var disabled = await _sluice.Admin.PatchAsJsonAsync("/api/v1/destinations/fs", new { enabled = false });
        await _sluice.PostAsync("/v1/track", """{"userId":"u1","event":"E","messageId":"off-1"}""");
        var filtered = await DeliveryLog.WaitForAsync(_sluice.Admin, "fs", "off-1");

        // The mask keeps the stored key while the address stays (a move needs the key again: DestinationTargetsTests).
        var enabled = await _sluice.Admin.PatchAsJsonAsync("/api/v1/destinations/fs", new { enabled = true, settings = new { apiKey = "••••••••", baseUrl = _service.BaseUrl } });
        await _sluice.PostAsync("/v1/track", """{"userId":"u1","event":"E","messageId":"on-1"}""");
        await DeliveryLog.WaitForAsync(_sluice.Admin, "fs", "on-1", DeliveryLog.Status("delivered"));

        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.Equal(("filtered", "the destination is disabled"), ((string?)filtered["status"], (string?)filtered["reason"]));
        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
        var moved = _service.Received.Last();
        Assert.Equal(("/v2/events", "Basic " + ApiKey), (moved.Path, moved.Headers["Authorization"]));
    }

    [Fact]
    public async Task Destinations_of_the_workspace_file_cannot_be_changed_through_the_API()
    {
        var patch = await _sluice.Admin.PatchAsJsonAsync("/api/v1/destinations/from-file", new { enabled = false });
        var delete = await _sluice.Admin.DeleteAsync("/api/v1/destinations/from-file");

        Assert.Equal(HttpStatusCode.Conflict, patch.StatusCode);
        Assert.Equal("managed_by_file", (string?)(await BodyAsync(patch))["error"]!["code"]);
        Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
        Assert.Equal("workspace-file", (string?)JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/destinations/from-file"))!["managedBy"]);
    }

    [Fact]
    public async Task A_destination_made_through_the_API_survives_a_restart_with_its_settings_encrypted_at_rest()
    {
        await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", FullStory());
        var dataDirectory = _dataDirectory;
        await _sluice.DisposeAsync();

        var atRest = TestStore.TextAtRest(dataDirectory).ToList();
        Assert.NotEmpty(atRest);
        Assert.All(atRest, text => Assert.DoesNotContain(ApiKey, text, StringComparison.Ordinal));

        _sluice = await StartAsync(dataDirectory);
        await _sluice.PostAsync("/v1/track", """{"userId":"u1","event":"E","messageId":"after-restart"}""");
        await DeliveryLog.WaitForAsync(_sluice.Admin, "fs", "after-restart", DeliveryLog.Status("delivered"));
        Assert.Equal("Basic " + ApiKey, _service.Received.Last().Headers["Authorization"]);

        Assert.Equal(HttpStatusCode.NoContent, (await _sluice.Admin.DeleteAsync("/api/v1/destinations/fs")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _sluice.Admin.GetAsync("/api/v1/destinations/fs")).StatusCode);
    }

    [Fact]
    public async Task Mappings_and_filters_are_added_changed_and_removed_one_at_a_time()
    {
        await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", new { id = "fs", type = "actions-fullstory-cloud", sources = new[] { "web" }, presets = false, settings = new { apiKey = ApiKey, baseUrl = _service.BaseUrl } });
        var mapping = new
        {
            name = "Orders",
            action = "trackEventV2",
            trigger = "type = \"track\" and event = \"Order Completed\"",
            mapping = new Dictionary<string, object> { ["name"] = new Dictionary<string, string> { ["@template"] = "Order {{properties.order_id}}" }, ["userId"] = new Dictionary<string, string> { ["@path"] = "$.userId" } },
        };

        var added = await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations/fs/mappings", mapping);
        var duplicate = await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations/fs/mappings", mapping);
        var badAction = await BodyAsync(await _sluice.Admin.PutAsJsonAsync("/api/v1/destinations/fs/mappings/Orders", mapping with { action = "nope" }));
        var filter = await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations/fs/filters", new { name = "no tests", @if = "properties.test = true", drop = true });
        await _sluice.PostAsync("/v1/track", """{"userId":"u1","event":"Order Completed","messageId":"o-1","properties":{"order_id":"o-77"}}""");
        await _sluice.PostAsync("/v1/track", """{"userId":"u1","event":"Order Completed","messageId":"o-2","properties":{"test":true}}""");
        await DeliveryLog.WaitForAsync(_sluice.Admin, "fs", "o-1", DeliveryLog.Status("delivered"));
        var dropped = await DeliveryLog.WaitForAsync(_sluice.Admin, "fs", "o-2");
        var disabled = await _sluice.Admin.PatchAsJsonAsync("/api/v1/destinations/fs/mappings/Orders", new { enabled = false });
        var listed = JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/destinations/fs/mappings"))!["mappings"]!.AsArray();

        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Equal("mappings[0].action", (string?)badAction["error"]!["problems"]![0]!["field"]);
        Assert.Equal(HttpStatusCode.Created, filter.StatusCode);
        Assert.Equal("Order o-77", (string?)JsonNode.Parse(_service.Received.Single(r => r.Path == "/v2/events").Body)!["name"]);
        Assert.Equal(("filtered", "dropped by filter 'no tests'"), ((string?)dropped["status"], (string?)dropped["reason"]));
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.False((bool?)Assert.Single(listed)!["enabled"]);
        Assert.Equal(HttpStatusCode.NoContent, (await _sluice.Admin.DeleteAsync("/api/v1/destinations/fs/mappings/Orders")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _sluice.Admin.DeleteAsync("/api/v1/destinations/fs/mappings/Orders")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _sluice.Admin.DeleteAsync("/api/v1/destinations/fs/filters/no%20tests")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations/from-file/mappings", mapping)).StatusCode);
    }
}
