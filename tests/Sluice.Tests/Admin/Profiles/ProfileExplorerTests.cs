using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Admin.Profiles;

/// <summary>
/// The explorer's endpoints over HTTP, on profiles built from events sent to the Tracking API: a profile
/// with its merges and why, and the unmerge that takes a shared identifier off it.
/// </summary>
public sealed class ProfileExplorerTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await InProcessServer.StartAsync(workspaceYaml: $$"""
            sources:
              - {id: {{InProcessServer.SourceId}}, writeKey: {{InProcessServer.WriteKey}}}
            identity: {}
            """);
        // A tablet at a shop counter: Ada signs in on it, then Bob; each also has a phone of their own.
        await SendAsync("""{"type":"identify","anonymousId":"ada-phone","messageId":"m1","traits":{"email":"ada@example.com","name":"Ada"}}""");
        await SendAsync("""{"type":"identify","anonymousId":"bob-phone","messageId":"m2","traits":{"email":"bob@example.com","name":"Bob"}}""");
        await SendAsync("""{"type":"identify","anonymousId":"tablet","messageId":"m3","traits":{"email":"ada@example.com"}}""");
        await SendAsync("""{"type":"identify","anonymousId":"tablet","messageId":"m4","traits":{"email":"bob@example.com","plan":"pro"}}""");
        await WaitAsync(async () => (await ProfileAsync("email:ada@example.com"))?["identifiers"]!.AsArray().Count == 5, "the tablet did not merge Ada and Bob");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_profile_shows_each_merge_with_the_event_and_the_identifiers_that_linked_it()
    {
        var profile = (await ProfileAsync("anonymous_id:tablet"))!;

        var merge = Assert.Single(profile["log"]!.AsArray(), e => (string)e!["kind"]! == "merge")!;
        Assert.Equal("m4", (string)merge["messageId"]!);
        Assert.Equal(InProcessServer.SourceId, (string)merge["sourceId"]!);
        Assert.Equal((string)profile["id"]!, (string)merge["profileId"]!);
        // m4 carried the tablet (on Ada's profile by then) and Bob's email (on Bob's): the merged one is Bob's, linked by his email.
        Assert.Equal(JsonNode.Parse("""{"type":"email","value":"bob@example.com"}"""), merge["identifier"], JsonNode.DeepEquals);
        Assert.Equal(JsonNode.Parse("""["email:bob@example.com","anonymous_id:tablet"]"""), merge["eventIdentifiers"], JsonNode.DeepEquals);
        Assert.Null(merge["undoneBy"]);
        Assert.Equal("pro", (string)profile["traits"]!["plan"]!);
    }

    [Fact]
    public async Task Unmerging_the_shared_identifier_splits_the_profile_says_who_did_it_and_keeps_the_identifier_out_of_later_events()
    {
        var merged = (string)(await ProfileAsync("email:ada@example.com"))!["id"]!;

        using var response = await _server.Admin.PostAsJsonAsync($"/api/v1/profiles/{merged}/unmerge", new { identifier = "anonymous_id:tablet", note = "shop counter tablet" });
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, (int)answer["events"]!);
        Assert.Equal(
            ["anonymous_id:ada-phone email:ada@example.com", "anonymous_id:bob-phone email:bob@example.com"],
            answer["profiles"]!.AsArray().Select(p => string.Join(" ", p!["identifiers"]!.AsArray().Select(i => $"{i!["type"]}:{i["value"]}").Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal));
        var ada = (await ProfileAsync("email:ada@example.com"))!;
        var bob = (await ProfileAsync("email:bob@example.com"))!;
        Assert.NotEqual((string)ada["id"]!, (string)bob["id"]!);
        Assert.Equal(JsonNode.Parse("""{"email":"ada@example.com","name":"Ada"}"""), ada["traits"], JsonNode.DeepEquals);
        Assert.Equal(JsonNode.Parse("""{"email":"bob@example.com","name":"Bob","plan":"pro"}"""), bob["traits"], JsonNode.DeepEquals);

        var unmerge = Assert.Single(ada["log"]!.AsArray(), e => (string)e!["kind"]! == "unmerge")!;
        Assert.Equal("shop counter tablet", (string)unmerge["note"]!);
        Assert.Contains("(", (string)unmerge["actor"]!, StringComparison.Ordinal);
        var undone = Assert.Single(ada["log"]!.AsArray(), e => (string)e!["kind"]! == "merge")!;
        Assert.Equal((long)unmerge["id"]!, (long)undone["undoneBy"]!);
        Assert.Null(await ProfileAsync("anonymous_id:tablet"));

        // Carol on the tablet later: her profile does not take it, and nobody is merged through it.
        await SendAsync("""{"type":"identify","anonymousId":"tablet","userId":"carol","messageId":"m5"}""");
        await WaitAsync(async () => await ProfileAsync("user_id:carol") is not null, "carol's event made no profile");
        Assert.Equal(["user_id"], (await ProfileAsync("user_id:carol"))!["identifiers"]!.AsArray().Select(i => (string)i!["type"]!));
        var blocked = JsonNode.Parse(await _server.Admin.GetStringAsync("/api/v1/identity/blocked"))!["blocked"]!.AsArray();
        Assert.Equal("tablet", (string)Assert.Single(blocked)!["value"]!);

        // Unblocked: the tablet links Ada, Bob and Carol again, as if it had never been blocked.
        using var unblocked = await _server.Admin.DeleteAsync("/api/v1/identity/blocked/anonymous_id%3Atablet");
        Assert.Equal(HttpStatusCode.OK, unblocked.StatusCode);
        Assert.Equal((string)(await ProfileAsync("email:ada@example.com"))!["id"]!, (string)(await ProfileAsync("anonymous_id:tablet"))!["id"]!);
        Assert.Equal((string)(await ProfileAsync("email:bob@example.com"))!["id"]!, (string)(await ProfileAsync("anonymous_id:tablet"))!["id"]!);
        Assert.Empty(JsonNode.Parse(await _server.Admin.GetStringAsync("/api/v1/identity/blocked"))!["blocked"]!.AsArray());
        using var again = await _server.Admin.DeleteAsync("/api/v1/identity/blocked/anonymous_id%3Atablet");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task An_unmerge_is_refused_for_an_identifier_not_on_the_profile_a_bad_body_and_a_read_only_token()
    {
        var merged = (string)(await ProfileAsync("email:ada@example.com"))!["id"]!;

        using var elsewhere = await _server.Admin.PostAsJsonAsync($"/api/v1/profiles/{merged}/unmerge", new { identifier = "anonymous_id:nobody" });
        Assert.Equal(HttpStatusCode.Conflict, elsewhere.StatusCode);
        Assert.Equal("not_on_profile", (string)JsonNode.Parse(await elsewhere.Content.ReadAsStringAsync())!["error"]!["code"]!);

        using var noType = await _server.Admin.PostAsJsonAsync($"/api/v1/profiles/{merged}/unmerge", new { identifier = "tablet" });
        Assert.Equal(HttpStatusCode.BadRequest, noType.StatusCode);
        Assert.Contains("type:value", (string)JsonNode.Parse(await noType.Content.ReadAsStringAsync())!["error"]!["message"]!, StringComparison.Ordinal);

        using var reader = await _server.ClientWithRoleAsync("read-only");
        using var refused = await reader.PostAsJsonAsync($"/api/v1/profiles/{merged}/unmerge", new { identifier = "anonymous_id:tablet" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.NotNull(await ProfileAsync("anonymous_id:tablet"));
    }

    private async Task<JsonNode?> ProfileAsync(string id)
    {
        using var response = await _server.Admin.GetAsync($"/api/v1/profiles/{Uri.EscapeDataString(id)}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{id}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body);
    }

    private async Task SendAsync(string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = new StringContent($$"""{"batch":[{{message}}]}""", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(InProcessServer.WriteKey + ":")));
        using var response = await _server.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    private static async Task WaitAsync(Func<Task<bool>> done, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(50);
        }
    }
}
