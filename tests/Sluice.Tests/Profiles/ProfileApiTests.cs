using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Profiles;

/// <summary>The Profile API over HTTP, on profiles built from events sent to the Tracking API.</summary>
public sealed class ProfileApiTests : IAsyncLifetime
{
    private const string Base = "/v1/spaces/default/collections/users/profiles";
    private InProcessServer _server = null!;
    private HttpClient _profiles = null!;

    public async Task InitializeAsync()
    {
        _server = await InProcessServer.StartAsync(workspaceYaml: $$"""
            sources:
              - {id: {{InProcessServer.SourceId}}, writeKey: {{InProcessServer.WriteKey}}}
            identity: {}
            """);
        // As Segment's clients authenticate: HTTP Basic, the token as user name.
        _profiles = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        _profiles.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(SluiceProcess.AdminToken + ":")));
        await SendAsync("""{"type":"identify","anonymousId":"phone","messageId":"m1","timestamp":"2026-11-01T00:00:00Z","traits":{"plan":"free"}}""");
        await SendAsync("""{"type":"identify","userId":"ada","messageId":"m2","timestamp":"2026-11-02T00:00:00Z","traits":{"name":"Ada","email":"Ada@Example.com"}}""");
        await SendAsync("""{"type":"track","userId":"ada","anonymousId":"phone","event":"Signed In","messageId":"m3"}""");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await MergedAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, "the profiles were not merged within 30 s");
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        _profiles.Dispose();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData("user_id:ada")]
    [InlineData("anonymous_id:phone")]
    [InlineData("email:ada@example.com")]
    public async Task Traits_are_read_by_any_identifier_of_the_profile(string id)
    {
        var answer = await GetAsync($"{Base}/{Uri.EscapeDataString(id)}/traits");

        Assert.Equal(JsonNode.Parse("""{"email":"Ada@Example.com","name":"Ada","plan":"free"}"""), answer["traits"], JsonNode.DeepEquals);
        Assert.False((bool)answer["cursor"]!["has_more"]!);
    }

    [Fact]
    public async Task Include_picks_traits_and_verbose_tells_where_each_came_from()
    {
        var answer = await GetAsync($"{Base}/user_id:ada/traits?include=plan,missing&verbose=true");

        var plan = answer["traits"]!["plan"]!;
        Assert.Single(answer["traits"]!.AsObject());
        Assert.Equal("free", (string)plan["value"]!);
        Assert.Equal(InProcessServer.SourceId, (string)plan["source_id"]!);
        Assert.NotNull((string?)plan["updated_at"]);
    }

    [Fact]
    public async Task External_ids_are_listed_in_Segments_shape_in_the_order_they_were_added()
    {
        var answer = await GetAsync($"{Base}/user_id:ada/external_ids");

        var data = answer["data"]!.AsArray();
        Assert.Equal(["anonymous_id:phone", "email:ada@example.com", "user_id:ada"], data.Select(d => $"{d!["type"]}:{d["id"]}").Order(StringComparer.Ordinal));
        Assert.Equal("anonymous_id", (string)data[0]!["type"]!);
        Assert.All(data, d =>
        {
            Assert.Equal("users", (string)d!["collection"]!);
            Assert.Equal(InProcessServer.SourceId, (string)d["source_id"]!);
            Assert.Contains((string)d["first_message_id"]!, new[] { "m1", "m2" });
        });
        var onlyUsers = await GetAsync($"{Base}/user_id:ada/external_ids?include=user_id");
        Assert.Equal("ada", (string)Assert.Single(onlyUsers["data"]!.AsArray())!["id"]!);
    }

    [Fact]
    public async Task Metadata_names_the_first_event_and_a_merged_profiles_id_answers_for_the_survivor()
    {
        var metadata = (await GetAsync($"{Base}/anonymous_id:phone/metadata"))["metadata"]!;
        Assert.Equal("m1", (string)metadata["first_message_id"]!);
        var survivor = (string)metadata["id"]!;

        var ada = await GetAsync($"{Base}/{survivor}/traits");
        Assert.Equal("Ada", (string)ada["traits"]!["name"]!);
    }

    [Fact]
    public async Task Events_of_both_merged_profiles_come_newest_first_a_page_at_a_time()
    {
        var first = await GetAsync($"{Base}/user_id:ada/events?limit=2");
        Assert.Equal(["m3", "m2"], first["data"]!.AsArray().Select(e => (string)e!["message_id"]!));
        Assert.True((bool)first["cursor"]!["has_more"]!);
        var signedIn = first["data"]![0]!;
        Assert.Equal("Signed In", (string)signedIn["event"]!);
        Assert.Equal(InProcessServer.SourceId, (string)signedIn["source_id"]!);
        Assert.Equal(["anonymous_id:phone", "user_id:ada"], signedIn["external_ids"]!.AsArray().Select(i => $"{i!["type"]}:{i["id"]}").Order(StringComparer.Ordinal));

        var second = await GetAsync($"{Base}/user_id:ada/events?limit=2&next={first["cursor"]!["next"]}");
        Assert.Equal(["m1"], second["data"]!.AsArray().Select(e => (string)e!["message_id"]!));
        Assert.False((bool)second["cursor"]!["has_more"]!);

        var oldest = await GetAsync($"{Base}/anonymous_id:phone/events?sort=asc&include=Signed%20In");
        Assert.Equal(["m3"], oldest["data"]!.AsArray().Select(e => (string)e!["message_id"]!));
    }

    [Fact]
    public async Task Start_and_end_keep_the_events_whose_timestamp_is_between_them()
    {
        var between = await GetAsync($"{Base}/user_id:ada/events?start=2026-11-01T12:00:00Z&end=2026-11-03T00:00:00Z");
        Assert.Equal(["m2"], between["data"]!.AsArray().Select(e => (string)e!["message_id"]!));

        var from = await GetAsync($"{Base}/user_id:ada/events?start=2026-11-02T00:00:00Z");
        Assert.Equal(["m3", "m2"], from["data"]!.AsArray().Select(e => (string)e!["message_id"]!));

        using var wrong = await _profiles.GetAsync($"{Base}/user_id:ada/events?end=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("end must be a time", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ada")]
    [InlineData("ada@example.com")]
    [InlineData("phone")]
    [InlineData("Ada")]
    public async Task The_Admin_API_finds_a_profile_by_any_identifiers_value_or_a_traits_value(string text)
    {
        var answer = JsonNode.Parse(await _server.Admin.GetStringAsync($"/api/v1/profiles?q={Uri.EscapeDataString(text)}"))!;

        var profile = Assert.Single(answer["profiles"]!.AsArray())!;
        Assert.Equal(3, profile["identifiers"]!.AsArray().Count);
        Assert.Equal("free", (string)profile["traits"]!["plan"]!);
    }

    [Fact]
    public async Task A_search_for_nothing_known_finds_nothing_and_one_without_q_says_what_it_needs()
    {
        Assert.Empty(JsonNode.Parse(await _server.Admin.GetStringAsync("/api/v1/profiles?q=nobody"))!["profiles"]!.AsArray());

        using var response = await _server.Admin.GetAsync("/api/v1/profiles");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("q is required", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("user_id:nobody", HttpStatusCode.NotFound, "not_found", "Profile was not found.")]
    [InlineData("prf_nothing", HttpStatusCode.NotFound, "not_found", "Profile was not found.")]
    public async Task An_unknown_profile_answers_Segments_404(string id, HttpStatusCode status, string code, string message)
    {
        using var response = await _profiles.GetAsync($"{Base}/{id}/traits");

        Assert.Equal(status, response.StatusCode);
        var expected = new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };
        Assert.Equal(expected, JsonNode.Parse(await response.Content.ReadAsStringAsync()), JsonNode.DeepEquals);
    }

    [Fact]
    public async Task Without_a_token_or_with_a_bad_limit_the_error_says_why()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        using var unauthenticated = await anonymous.GetAsync($"{Base}/user_id:ada/traits");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal("authentication_error", (string)JsonNode.Parse(await unauthenticated.Content.ReadAsStringAsync())!["error"]!["code"]!);

        using var badLimit = await _profiles.GetAsync($"{Base}/user_id:ada/traits?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Contains("limit", (string)JsonNode.Parse(await badLimit.Content.ReadAsStringAsync())!["error"]!["message"]!, StringComparison.Ordinal);

        // The Admin API's bearer form works too.
        var response = await _server.Admin.GetAsync($"{Base}/user_id:ada/metadata");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_nul_character_in_a_trait_name_or_an_email_neither_stops_profiles_nor_becomes_an_identifier()
    {
        // PostgreSQL's text cannot hold U+0000: a trait name keeps its place with U+FFFD, an email with it is no identifier.
        await SendAsync("""{"type":"identify","userId":"nul","messageId":"n1","traits":{"a\u0000b":1,"email":"x\u0000@example.com"}}""");
        await SendAsync("""{"type":"identify","userId":"nul","messageId":"n2","traits":{"after":true}}""");

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonNode traits;
        while ((traits = (await TryGetAsync($"{Base}/user_id:nul/traits"))?["traits"]!) is not { } found || found["after"] is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the events after the nul character were not resolved within 30 s");
            await Task.Delay(50);
        }

        Assert.Equal(JsonNode.Parse("""{"a\uFFFDb":1,"email":"x\u0000@example.com","after":true}"""), traits, JsonNode.DeepEquals);
        var ids = await GetAsync($"{Base}/user_id:nul/external_ids");
        Assert.Equal(["user_id:nul"], ids["data"]!.AsArray().Select(d => $"{d!["type"]}:{d["id"]}"));
    }

    private async Task<JsonNode?> TryGetAsync(string path)
    {
        using var response = await _profiles.GetAsync(path);
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
    }

    private async Task SendAsync(string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = new StringContent($$"""{"batch":[{{message}}]}""", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(InProcessServer.WriteKey + ":")));
        using var response = await _server.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    private async Task<bool> MergedAsync()
    {
        using var response = await _profiles.GetAsync($"{Base}/anonymous_id:phone/external_ids");
        return response.IsSuccessStatusCode && JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!.AsArray().Count == 3;
    }

    private async Task<JsonNode> GetAsync(string path)
    {
        using var response = await _profiles.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }
}
