using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Admin.Profiles;

/// <summary>Identity settings over HTTP: shown, previewed, saved with a recomputation; refused when the file manages them or they are wrong.</summary>
public sealed class IdentitySettingsTests
{
    [Fact]
    public async Task A_preview_shows_the_merge_a_blocked_value_would_undo_and_saving_it_splits_the_profile()
    {
        await using var server = await StartAsync("identity: {}");
        await server.PostAsync("/v1/identify", """{"anonymousId":"ada-phone","messageId":"s1","traits":{"email":"ada@example.com"}}""");
        await server.PostAsync("/v1/identify", """{"anonymousId":"tablet","messageId":"s2","traits":{"email":"ada@example.com"}}""");
        await server.PostAsync("/v1/identify", """{"anonymousId":"tablet","messageId":"s3","traits":{"email":"bob@example.com"}}""");
        await WaitAsync(server, "email:bob@example.com", profile => profile["identifiers"]!.AsArray().Count == 4);

        var shown = await GetAsync(server, "/api/v1/identity");
        Assert.Equal("api", (string)shown["managedBy"]!);
        Assert.Equal(JsonNode.Parse("""{"limit":1,"priority":1}"""), shown["settings"]!["rules"]!["user_id"], JsonNode.DeepEquals);
        var settings = shown["settings"]!.AsObject();
        settings["blockedValues"]!.AsArray().Add("tablet");

        using var previewed = await server.Admin.PostAsJsonAsync("/api/v1/identity/preview", new JsonObject { ["settings"] = settings.DeepClone() });
        var preview = JsonNode.Parse(await previewed.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, previewed.StatusCode);
        Assert.Equal((3, 1, 2, 1), ((int)preview["events"]!, (int)preview["profilesNow"]!, (int)preview["profilesAfter"]!, (int)preview["splits"]!["count"]!));
        Assert.Equal(1, (int)preview["identifiersLost"]!);
        Assert.Equal((string)(await GetAsync(server, "/api/v1/profiles/email:ada@example.com"))["id"]!, (string)(await GetAsync(server, "/api/v1/profiles/email:bob@example.com"))["id"]!);

        using var saved = await server.Admin.PutAsJsonAsync("/api/v1/identity", new JsonObject { ["settings"] = settings.DeepClone() });
        var answer = JsonNode.Parse(await saved.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal(1, (int)answer["recomputed"]!["splits"]!["count"]!);
        Assert.NotEqual((string)(await GetAsync(server, "/api/v1/profiles/email:ada@example.com"))["id"]!, (string)(await GetAsync(server, "/api/v1/profiles/email:bob@example.com"))["id"]!);
        var now = await GetAsync(server, "/api/v1/identity");
        Assert.Contains("tablet", now["settings"]!["blockedValues"]!.AsArray().Select(v => (string)v!));
        Assert.Contains("(", (string)now["updatedBy"]!, StringComparison.Ordinal);

        // Later events use the saved settings: the tablet is no identifier.
        await server.PostAsync("/v1/identify", """{"anonymousId":"tablet","userId":"carol","messageId":"s4"}""");
        await WaitAsync(server, "user_id:carol", profile => profile["identifiers"]!.AsArray().Count == 1);
    }

    [Fact]
    public async Task Settings_the_file_sets_are_shown_and_not_changed_and_wrong_ones_are_refused_with_the_field()
    {
        await using var server = await StartAsync("identity: {maxMerges: 7}");
        var shown = await GetAsync(server, "/api/v1/identity");
        Assert.Equal(("workspace-file", 7), ((string)shown["managedBy"]!, (int)shown["settings"]!["maxMerges"]!));

        using var wrong = await server.Admin.PostAsJsonAsync("/api/v1/identity/preview", new { settings = new { maxMerges = -1, rules = new { email = new { window = "soon" } } } });
        var refusal = JsonNode.Parse(await wrong.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(["maxMerges", "rules.email.window"], refusal["problems"]!.AsArray().Select(p => (string)p!["field"]!).Order(StringComparer.Ordinal));

        using var refused = await server.Admin.PutAsJsonAsync("/api/v1/identity", new { settings = new { maxMerges = 8 } });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("managed_by_file", (string)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["code"]!);
        Assert.Equal(7, (int)(await GetAsync(server, "/api/v1/identity"))["settings"]!["maxMerges"]!);
    }

    [Fact]
    public async Task Without_an_identity_section_profiles_are_off_and_saying_so_is_the_answer()
    {
        await using var server = await StartAsync("");
        Assert.False((bool)(await GetAsync(server, "/api/v1/identity"))["enabled"]!);
        using var refused = await server.Admin.PutAsJsonAsync("/api/v1/identity", new { settings = new { } });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("identity_off", (string)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["code"]!);
    }

    private static Task<InProcessServer> StartAsync(string identity) => InProcessServer.StartAsync(workspaceYaml: $$"""
        sources:
          - {id: {{InProcessServer.SourceId}}, writeKey: {{InProcessServer.WriteKey}}}
        {{identity}}
        """);

    private static async Task<JsonNode> GetAsync(InProcessServer server, string path)
    {
        using var response = await server.Admin.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    private static async Task WaitAsync(InProcessServer server, string id, Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await server.Admin.GetAsync($"/api/v1/profiles/{Uri.EscapeDataString(id)}");
            if (response.IsSuccessStatusCode && done(JsonNode.Parse(await response.Content.ReadAsStringAsync())!))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{id} did not become as expected within 30 s");
            await Task.Delay(50);
        }
    }
}
