using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Admin;

/// <summary>The catalog as data, the workspace's destinations with secrets masked, and testing a mapping on a sample event.</summary>
public sealed class CatalogAndDestinationsTests : IAsyncLifetime
{
    private const string FullStoryKey = "fs-secret-key-1234";
    private const string StitchEndpointToken = "st1tch-t0ken";
    private RecordingServer _service = null!;
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync()
    {
        _service = await RecordingServer.StartAsync();
        _sluice = await InProcessServer.StartAsync(workspaceYaml: $$"""
            sources:
              - {id: web, writeKey: {{InProcessServer.WriteKey}}}
            destinations:
              - id: fs
                type: actions-fullstory-cloud
                sources: [web]
                settings: {apiKey: {{FullStoryKey}}, baseUrl: '{{_service.BaseUrl}}'}
                mappings:
                  - name: Orders
                    action: trackEvent
                    trigger: 'type = "track" and event = "Order Completed"'
                    mapping: {userId: {'@path': '$.userId'}, name: {'@path': '$.event'}, properties: {'@path': '$.properties'} }
              - id: stitch
                type: stitch-data
                sources: [web]
                settings: {endpoint: '{{_service.BaseUrl}}/segment/{{StitchEndpointToken}}', apiKey: stitch-api-key }
            """);

        // Start-up's credential check (FullStory's GET /me) is not what these tests look at.
        await _sluice.WaitForCredentialChecksAsync();

        _service.ClearReceived();
    }

    public async Task DisposeAsync()
    {
        await _sluice.DisposeAsync();
        await _service.DisposeAsync();
    }

    [Fact]
    public async Task The_catalog_describes_every_destination_with_settings_actions_fields_and_presets()
    {
        var catalog = JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/catalog"))!["destinations"]!.AsArray();
        var fullStory = JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/catalog/actions-fullstory-cloud"))!;

        Assert.Equal(["actions-fullstory-cloud", "stitch-data", "stories", "webhook"], catalog.Select(d => (string)d!["slug"]!).Order());
        Assert.Equal((true, true, "password"), ((bool?)fullStory["settings"]!["apiKey"]!["secret"], (bool?)fullStory["settings"]!["apiKey"]!["required"], (string?)fullStory["settings"]!["apiKey"]!["type"]));
        Assert.Equal(["Track Event", "Identify User"], fullStory["presets"]!.AsArray().Select(p => (string)p!["name"]!));
        var name = fullStory["actions"]!["trackEventV2"]!["fields"]!["name"]!;
        Assert.Equal(("string", true, "$.event"), ((string?)name["type"], (bool?)name["required"], (string?)name["default"]!["@path"]));
        Assert.Equal(HttpStatusCode.NotFound, (await _sluice.Admin.GetAsync("/api/v1/catalog/segment")).StatusCode);
    }

    [Fact]
    public async Task Destinations_show_their_mappings_and_who_manages_them_but_never_a_secret()
    {
        var (_, readOnlyToken) = await MintAsync("read-only");
        using var readOnly = new HttpClient { BaseAddress = new Uri(_sluice.BaseUrl) };
        readOnly.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", readOnlyToken);

        var fs = JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/destinations/fs"))!;
        var everything = string.Concat(await Task.WhenAll(
            new[] { "/api/v1/destinations", "/api/v1/destinations/fs", "/api/v1/destinations/stitch", "/api/v1/sources" }.Select(_sluice.Admin.GetStringAsync)));
        var sourcesAsReader = JsonNode.Parse(await readOnly.GetStringAsync("/api/v1/sources"))!["sources"]!.AsArray();

        Assert.Equal(("••••••••", _service.BaseUrl), ((string?)fs["settings"]!["apiKey"], (string?)fs["settings"]!["baseUrl"]));
        Assert.Equal("workspace-file", (string?)fs["managedBy"]);
        Assert.Equal([("Track Event", true), ("Identify User", true), ("Orders", false)], fs["mappings"]!.AsArray().Select(m => ((string)m!["name"]!, (bool)m["preset"]!)));
        Assert.DoesNotContain(FullStoryKey, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(StitchEndpointToken, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("stitch-api-key", everything, StringComparison.Ordinal);
        Assert.Contains(InProcessServer.WriteKey, everything, StringComparison.Ordinal);
        Assert.Equal("••••••••", (string?)Assert.Single(sourcesAsReader)!["writeKey"]);
    }

    [Fact]
    public async Task A_mapping_test_shows_the_exact_request_with_credentials_masked_without_sending_it()
    {
        var response = await _sluice.Admin.PostAsJsonAsync("/api/v1/mappings/test", new
        {
            destination = "fs",
            action = "trackEvent",
            trigger = "type = \"track\"",
            mapping = new Dictionary<string, object> { ["userId"] = new Dictionary<string, string> { ["@path"] = "$.userId" }, ["name"] = new Dictionary<string, string> { ["@path"] = "$.event" }, ["properties"] = new Dictionary<string, string> { ["@path"] = "$.properties" } },
            @event = new { type = "track", userId = "user 1", @event = "Order Completed", messageId = "m-1", properties = new { order_id = "o-1", total = 9.5 } },
        });
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var request = Assert.Single(result["requests"]!.AsArray())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((bool?)result["matched"]);
        Assert.Equal(("POST", $"{_service.BaseUrl}/users/v1/individual/user%201/customevent?integration=segment"), ((string?)request["method"], (string?)request["url"]));
        Assert.Equal("Basic ••••••••", (string?)request["headers"]!["Authorization"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"event":{"event_name":"Order Completed","event_data":{"order_id_str":"o-1","total_real":9.5}}}"""), request["body"]));
        Assert.DoesNotContain(FullStoryKey, result.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(_service.Received);
    }

    [Fact]
    public async Task A_mapping_test_can_send_and_show_the_answer_and_says_when_the_trigger_does_not_match()
    {
        _service.AnswerNext(new ScriptedAnswer(404, """{"code":"not_found"}"""));
        var sent = JsonNode.Parse(await (await _sluice.Admin.PostAsJsonAsync("/api/v1/mappings/test", new
        {
            destination = "fs",
            action = "trackEventV2",
            send = true,
            @event = new { type = "track", userId = "u", @event = "E", messageId = "m-2" },
        })).Content.ReadAsStringAsync())!;
        var unmatched = JsonNode.Parse(await (await _sluice.Admin.PostAsJsonAsync("/api/v1/mappings/test", new
        {
            type = "webhook",
            action = "send",
            trigger = "type = \"identify\"",
            @event = new { type = "track", userId = "u", @event = "E" },
        })).Content.ReadAsStringAsync())!;
        var badTrigger = await _sluice.Admin.PostAsJsonAsync("/api/v1/mappings/test", new { destination = "fs", action = "trackEventV2", trigger = "type = ", @event = new { type = "track" } });

        Assert.Equal((404, """{"code":"not_found"}"""), ((int?)sent["responses"]![0]!["status"], (string?)sent["responses"]![0]!["body"]));
        Assert.Equal("/v2/events", Assert.Single(_service.Received).Path);
        Assert.False((bool?)unmatched["matched"]);
        Assert.Null(unmatched["requests"]);
        Assert.Equal(HttpStatusCode.BadRequest, badTrigger.StatusCode);
        var error = JsonNode.Parse(await badTrigger.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("trigger", (string?)error["field"]);
        Assert.NotNull(error["position"]);
    }

    private async Task<(string Id, string Token)> MintAsync(string role)
    {
        var body = JsonNode.Parse(await (await _sluice.Admin.PostAsJsonAsync("/api/v1/tokens", new { name = "test", role })).Content.ReadAsStringAsync())!;
        return ((string)body["id"]!, (string)body["token"]!);
    }
}
