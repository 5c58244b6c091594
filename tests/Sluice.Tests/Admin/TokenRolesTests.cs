using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Admin;

/// <summary>Owners mint tokens with a role; every request is checked against the role, and a 403 names the missing permission.</summary>
public sealed class TokenRolesTests : IAsyncLifetime
{
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync() => _sluice = await InProcessServer.StartAsync(workspaceYaml: $$"""
        sources:
          - {id: web, writeKey: {{InProcessServer.WriteKey}}}
        destinations:
          - id: hook
            type: webhook
            sources: [web]
            mappings:
              - {name: All, action: send, trigger: 'type = "track"', mapping: {url: 'http://127.0.0.1:9/in', method: POST} }
        """);

    public async Task DisposeAsync() => await _sluice.DisposeAsync();

    private async Task<(string Id, string Token)> MintAsync(string role)
    {
        var response = await _sluice.Admin.PostAsJsonAsync("/api/v1/tokens", new { name = $"{role} for a test", role });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(role, (string?)body["role"]);
        return ((string)body["id"]!, (string)body["token"]!);
    }

    private HttpClient As(string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(_sluice.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task A_read_only_token_reads_but_cannot_write_and_is_told_which_permission_it_lacks()
    {
        var (_, token) = await MintAsync("read-only");
        using var readOnly = As(token);

        Assert.Equal(HttpStatusCode.OK, (await readOnly.GetAsync("/api/v1/destinations/hook/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await readOnly.GetAsync("/api/v1/catalog")).StatusCode);
        var replay = await readOnly.PostAsJsonAsync("/api/v1/destinations/hook/replay", new { });
        var mint = await readOnly.PostAsJsonAsync("/api/v1/tokens", new { name = "x", role = "read-only" });

        Assert.Equal(HttpStatusCode.Forbidden, replay.StatusCode);
        Assert.Equal("this token's role (read-only) lacks the permission 'write'", (string?)JsonNode.Parse(await replay.Content.ReadAsStringAsync())!["error"]!["message"]);
        Assert.Equal(HttpStatusCode.Forbidden, mint.StatusCode);
    }

    [Fact]
    public async Task A_member_edits_but_cannot_mint_list_or_revoke_tokens()
    {
        var (_, token) = await MintAsync("workspace-member");
        using var member = As(token);

        Assert.Equal(HttpStatusCode.Accepted, (await member.PostAsJsonAsync("/api/v1/destinations/hook/replay", new { })).StatusCode);
        var mint = await member.PostAsJsonAsync("/api/v1/tokens", new { name = "x", role = "workspace-owner" });
        Assert.Equal(HttpStatusCode.Forbidden, mint.StatusCode);
        Assert.Equal("this token's role (workspace-member) lacks the permission 'manage-tokens'", (string?)JsonNode.Parse(await mint.Content.ReadAsStringAsync())!["error"]!["message"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync("/api/v1/tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.DeleteAsync("/api/v1/tokens/owner")).StatusCode);
    }

    [Fact]
    public async Task Ending_a_write_key_at_once_and_replaying_delivered_deliveries_are_for_owners()
    {
        var (_, token) = await MintAsync("workspace-member");
        using var member = As(token);
        (await _sluice.Admin.PostAsJsonAsync("/api/v1/sources", new { id = "api-src", name = "API source" })).EnsureSuccessStatusCode();

        var rotateNow = await member.PostAsJsonAsync("/api/v1/sources/api-src/rotate-write-key", new { graceHours = 0 });
        var replayDelivered = await member.PostAsJsonAsync("/api/v1/destinations/hook/replay", new { status = "delivered" });

        Assert.Equal(HttpStatusCode.Forbidden, rotateNow.StatusCode);
        Assert.Equal("owner_only", (string?)JsonNode.Parse(await rotateNow.Content.ReadAsStringAsync())!["error"]!["rule"]);
        Assert.Equal(HttpStatusCode.Forbidden, replayDelivered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await member.PostAsJsonAsync("/api/v1/sources/api-src/rotate-write-key", new { graceHours = 24 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _sluice.Admin.PostAsJsonAsync("/api/v1/sources/api-src/rotate-write-key", new { graceHours = 0 })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _sluice.Admin.PostAsJsonAsync("/api/v1/destinations/hook/replay", new { status = "delivered" })).StatusCode);
    }

    [Fact]
    public async Task A_token_is_shown_once_listed_without_its_value_and_stops_working_when_revoked()
    {
        var (id, token) = await MintAsync("workspace-owner");
        using var minted = As(token);
        Assert.Equal(HttpStatusCode.OK, (await minted.GetAsync("/api/v1/tokens")).StatusCode);

        var listed = await _sluice.Admin.GetStringAsync("/api/v1/tokens");
        Assert.Contains(id, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(token, listed, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await _sluice.Admin.DeleteAsync($"/api/v1/tokens/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await minted.GetAsync("/api/v1/tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _sluice.Admin.DeleteAsync($"/api/v1/tokens/{id}")).StatusCode);
    }

    [Fact]
    public async Task The_last_owner_token_cannot_be_revoked_and_bad_requests_name_the_field()
    {
        var owners = JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/tokens"))!["tokens"]!.AsArray()
            .Where(t => (string?)t!["role"] == "workspace-owner").Select(t => (string)t!["id"]!).ToList();

        var last = await _sluice.Admin.DeleteAsync($"/api/v1/tokens/{Assert.Single(owners)}");
        var badRole = await _sluice.Admin.PostAsJsonAsync("/api/v1/tokens", new { name = "x", role = "admin" });
        var noName = await _sluice.Admin.PostAsJsonAsync("/api/v1/tokens", new { role = "read-only" });
        // A script's curl -d sends no JSON content type; the body is read as JSON anyway.
        var plain = await _sluice.Admin.PostAsync("/api/v1/tokens", new StringContent("""{"name":"from curl","role":"read-only"}"""));

        Assert.Equal(HttpStatusCode.Conflict, last.StatusCode);
        Assert.Equal("invalid_role", (string?)JsonNode.Parse(await badRole.Content.ReadAsStringAsync())!["error"]!["code"]);
        Assert.Equal("invalid_name", (string?)JsonNode.Parse(await noName.Content.ReadAsStringAsync())!["error"]!["code"]);
        Assert.Equal(HttpStatusCode.Created, plain.StatusCode);
    }
}
