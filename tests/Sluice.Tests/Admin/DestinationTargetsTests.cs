using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Sluice.Delivery;
using Sluice.Infrastructure;

namespace Sluice.Admin;

/// <summary>
/// Roles hold for what destinations reach: members cannot aim them at internal addresses or move
/// a stored secret to a new host, services that echo a secret have it masked, and an operator can
/// refuse internal addresses for everyone.
/// </summary>
public sealed class DestinationTargetsTests : IAsyncLifetime
{
    private const string ApiKey = "fs-api-secret-9876";
    private RecordingServer _service = null!;
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync()
    {
        _service = await RecordingServer.StartAsync();
        _sluice = await InProcessServer.StartAsync(workspaceYaml: $"sources:\n  - {{id: web, writeKey: {InProcessServer.WriteKey}}}\n");
    }

    public async Task DisposeAsync()
    {
        await _sluice.DisposeAsync();
        await _service.DisposeAsync();
    }

    private object Hook(string url) => new
    {
        id = "hook",
        type = "webhook",
        sources = new[] { "web" },
        mappings = new[] { new { name = "All", action = "send", trigger = "type = \"track\"", mapping = new { url, method = "POST" } } },
    };

    private static async Task<JsonNode> ErrorAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;

    [Theory]
    [InlineData("http://127.0.0.1:9/in", "a loopback address")]
    [InlineData("http://localhost:9/in", "a loopback address")]
    [InlineData("http://169.254.169.254/latest/meta-data", "a link-local address")]
    [InlineData("http://10.1.2.3/in", "a private address")]
    [InlineData("http://[::1]:9/in", "a loopback address")]
    public async Task A_member_cannot_aim_a_destination_at_an_internal_address(string url, string kind)
    {
        using var member = await _sluice.ClientWithRoleAsync("workspace-member");

        var response = await member.PostAsJsonAsync("/api/v1/destinations", Hook(url));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal(("private_host", "mappings[0].mapping.url"), ((string?)error["rule"], (string?)error["field"]));
        Assert.Contains(kind, (string?)error["message"]);
    }

    [Fact]
    public async Task A_member_cannot_add_an_internal_mapping_url_nor_send_a_mapping_test_there_and_an_owner_can()
    {
        using var member = await _sluice.ClientWithRoleAsync("workspace-member");
        (await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", Hook(_service.BaseUrl + "/in"))).EnsureSuccessStatusCode();
        var mapping = new { name = "Metrics", action = "send", trigger = "type = \"track\"", mapping = new { url = new JsonObject { ["@template"] = _sluice.BaseUrl + "/metrics?u={{userId}}" }, method = "POST" } };
        var test = new { type = "webhook", action = "send", send = true, @event = new { type = "track", userId = "u" }, mapping = new { url = _sluice.BaseUrl + "/metrics", method = "POST" } };

        var memberMapping = await member.PostAsJsonAsync("/api/v1/destinations/hook/mappings", mapping);
        var memberTest = await member.PostAsJsonAsync("/api/v1/mappings/test", test);
        var ownerTest = await _sluice.Admin.PostAsJsonAsync("/api/v1/mappings/test", test);

        Assert.Equal(HttpStatusCode.Forbidden, memberMapping.StatusCode);
        Assert.Equal("mapping.url", (string?)(await ErrorAsync(memberMapping))["field"]);
        Assert.Equal(HttpStatusCode.Forbidden, memberTest.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ownerTest.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations/hook/mappings", mapping)).StatusCode);
    }

    [Fact]
    public async Task Moving_a_destinations_URL_needs_its_secret_again_even_from_an_owner()
    {
        (await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", new { id = "fs", type = "actions-fullstory-cloud", sources = new[] { "web" }, settings = new { apiKey = ApiKey, baseUrl = _service.BaseUrl } })).EnsureSuccessStatusCode();
        await using var elsewhere = await RecordingServer.StartAsync();

        var masked = await _sluice.Admin.PatchAsJsonAsync("/api/v1/destinations/fs", new { settings = new { apiKey = "••••••••", baseUrl = elsewhere.BaseUrl } });
        var omitted = await _sluice.Admin.PatchAsJsonAsync("/api/v1/destinations/fs", new { settings = new { baseUrl = elsewhere.BaseUrl } });
        var resent = await _sluice.Admin.PatchAsJsonAsync("/api/v1/destinations/fs", new { settings = new { apiKey = "a-new-key-1234", baseUrl = elsewhere.BaseUrl } });

        Assert.Equal(HttpStatusCode.BadRequest, masked.StatusCode);
        Assert.Equal("settings.apiKey", (string?)(await ErrorAsync(masked))["problems"]![0]!["field"]);
        Assert.Equal(HttpStatusCode.BadRequest, omitted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, resent.StatusCode);
        Assert.DoesNotContain(elsewhere.Received, r => r.Headers.GetValueOrDefault("Authorization")?.Contains(ApiKey) == true);
    }

    [Fact]
    public async Task A_secret_a_service_echoes_back_is_masked_in_the_delivery_log()
    {
        (await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations", new { id = "fs", type = "actions-fullstory-cloud", sources = new[] { "web" }, settings = new { apiKey = ApiKey, baseUrl = _service.BaseUrl } })).EnsureSuccessStatusCode();
        await _sluice.WaitForCredentialChecksAsync();
        _service.AnswerNext(new ScriptedAnswer(400, $$"""{"echo":"Authorization: Basic {{ApiKey}}","b64":"{{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ApiKey + ":"))}}"}"""));

        await _sluice.PostAsync("/v1/track", """{"userId":"u1","event":"Echo","messageId":"echo-1"}""");
        var delivery = await DeliveryLog.WaitForAsync(_sluice.Admin, "fs", "echo-1", DeliveryLog.Status("failed"));

        var response = (string?)delivery["response"];
        Assert.DoesNotContain(ApiKey, response);
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ApiKey + ":")), response);
        Assert.Contains("Basic ••••••••", response);
    }

    [Fact]
    public async Task With_destination_hosts_public_internal_addresses_are_refused_for_everyone_when_saved_and_when_sent()
    {
        await using var receiver = await RecordingServer.StartAsync();
        await using var sluice = await InProcessServer.StartAsync(
            o => o with { Delivery = o.Delivery with { Hosts = DestinationHosts.Public } },
            workspaceYaml: TestWorkspace.TrackWebhookYaml(InProcessServer.WriteKey, "file-hook", receiver.BaseUrl + "/in"));

        var created = await sluice.Admin.PostAsJsonAsync("/api/v1/destinations", Hook(receiver.BaseUrl + "/in"));
        await sluice.PostAsync("/v1/track", """{"userId":"u","event":"E","messageId":"pub-1"}""");
        var delivery = await DeliveryLog.WaitForAsync(sluice.Admin, "file-hook", "pub-1", DeliveryLog.Status("failed"));

        Assert.Equal(HttpStatusCode.Forbidden, created.StatusCode);
        Assert.Contains("--destination-hosts public", (string?)(await ErrorAsync(created))["message"]);
        Assert.Contains("public addresses only", (string?)delivery["reason"]);
        Assert.Empty(receiver.Received);
    }
}
