using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Admin.Engage;

/// <summary>
/// Computed traits and audiences over HTTP: made, previewed (exactly from stored state, or estimated from
/// a sample when the past must be read), computed over the past, listed with size and status, explained
/// per profile, changed and deleted; the file's are read-only and wrong ones are refused with the field.
/// </summary>
public sealed class EngageEndpointsTests
{
    [Fact]
    public async Task An_audience_made_through_the_api_is_previewed_computed_over_the_past_listed_and_explained()
    {
        await using var server = await StartAsync("""
            engage:
              computedTraits:
                - {name: Orders, query: "event('Order Completed').count()"}
            """);
        for (var i = 0; i < 3; i++)
        {
            await server.PostAsync("/v1/track", $$$"""{"userId":"ada","event":"Order Completed","messageId":"a{{{i}}}","properties":{"total":{{{40 + i}}}}}""");
        }

        await server.PostAsync("/v1/track", """{"userId":"bob","event":"Order Completed","messageId":"b0","properties":{"total":5}}""");
        await server.PostAsync("/v1/identify", """{"userId":"cy","messageId":"c0","traits":{"plan":"pro"}}""");
        await WaitAsync(server, "/api/v1/engage", list => (int?)list["computedTraits"]![0]!["size"] == 2);

        // A threshold on a computed aggregate: exact, from the stored state.
        var exact = await PostAsync(server, "/api/v1/engage/preview", """{"kind":"audience","query":"event('Order Completed').count() >= 2"}""");
        Assert.Equal((1, false), ((int)exact["size"]!, (bool)exact["estimated"]!));
        Assert.Null(exact["range"]);
        Assert.Equal(3, (int)exact["profiles"]!);
        // A new aggregate: estimated from the events of a sample (here every profile).
        var sampled = await PostAsync(server, "/api/v1/engage/preview", """{"kind":"audience","query":"event('Order Completed').where(property('total') > 10).count() >= 1 OR trait('plan') = 'pro'"}""");
        Assert.Equal((2, true), ((int)sampled["size"]!, (bool)sampled["estimated"]!));
        // Every profile sampled: the range is about the estimate (two of three, with 95% confidence).
        var range = sampled["range"]!.AsArray().Select(n => (int)n!).ToList();
        Assert.True(range[0] <= 2 && range[1] >= 2 && range[1] <= 3, string.Join(",", range));

        using var made = await server.Admin.PostAsJsonAsync("/api/v1/engage/audiences", JsonNode.Parse("""
            {"name":"Big buyers","query":"event('Order Completed').where(property('total') > 10).count() >= 1 OR trait('plan') = 'pro'"}
            """));
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        var created = JsonNode.Parse(await made.Content.ReadAsStringAsync())!;
        Assert.Equal(("big_buyers", "api"), ((string)created["key"]!, (string)created["managedBy"]!));
        var live = await WaitAsync(server, "/api/v1/engage/big_buyers", one => (string?)one["status"] == "live" && (int?)one["size"] == 2);
        Assert.Equal("Big buyers", (string)live["name"]!);

        var members = await GetAsync(server, "/api/v1/engage/big_buyers/members");
        Assert.Equal(2, members["members"]!.AsArray().Count);

        var why = await GetAsync(server, "/api/v1/profiles/user_id:ada/engage");
        var audience = why["definitions"]!.AsArray().Single(d => (string?)d!["key"] == "big_buyers")!;
        Assert.True((bool)audience["value"]!);
        var any = audience["condition"]!["any"]!.AsArray();
        Assert.Equal((3, true), ((int)any[0]!["value"]!, (bool)any[0]!["holds"]!));
        Assert.Equal(("plan", false), ((string)any[1]!["trait"]!, (bool)any[1]!["holds"]!));
        Assert.Equal(">= 1", (string)any[0]!["comparison"]!);

        // A change previewed against the stored members: Cy would leave.
        var change = await PostAsync(server, "/api/v1/engage/preview", """{"kind":"audience","key":"big_buyers","query":"event('Order Completed').where(property('total') > 10).count() >= 1"}""");
        Assert.Equal((0, 1), ((int)change["changes"]!["enter"]!, (int)change["changes"]!["leave"]!));

        using var deleted = await server.Admin.DeleteAsync("/api/v1/engage/big_buyers");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty((await GetAsync(server, "/api/v1/engage"))["audiences"]!.AsArray());
    }

    [Fact]
    public async Task The_files_definitions_are_read_only_and_a_wrong_definition_is_refused_with_the_field()
    {
        await using var server = await StartAsync("""
            engage:
              audiences:
                - {name: Buyers, query: "event('Order Completed').count() >= 1"}
            """);

        using var fileOne = await server.Admin.PutAsJsonAsync("/api/v1/engage/buyers", new { name = "Buyers", query = "event('Order Completed').count() >= 2" });
        Assert.Equal(HttpStatusCode.Conflict, fileOne.StatusCode);
        Assert.Equal("managed_by_file", (string)JsonNode.Parse(await fileOne.Content.ReadAsStringAsync())!["error"]!["code"]!);

        using var wrong = await server.Admin.PostAsJsonAsync("/api/v1/engage/audiences", JsonNode.Parse("""
            {"name":"Loop","key":"loop","query":"trait('loop') = true","destinations":["nowhere", 3]}
            """));
        var problems = JsonNode.Parse(await wrong.Content.ReadAsStringAsync())!["error"]!["problems"]!.AsArray();
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(["destinations[1]"], problems.Select(p => (string)p!["field"]!));

        using var cycle = await server.Admin.PostAsJsonAsync("/api/v1/engage/audiences", new { name = "Loop", query = "trait('loop') = true", destinations = new[] { "nowhere" } });
        var refused = JsonNode.Parse(await cycle.Content.ReadAsStringAsync())!["error"]!["problems"]!.AsArray();
        Assert.Equal(["destinations[0]"], refused.Select(p => (string)p!["field"]!));

        // An audience that refers to itself, or to one that refers back to it, is refused as the file refuses it.
        using var loop = await server.Admin.PostAsJsonAsync("/api/v1/engage/audiences", new { name = "Loop", query = "trait('loop') = true" });
        Assert.Equal(HttpStatusCode.BadRequest, loop.StatusCode);
        var looped = JsonNode.Parse(await loop.Content.ReadAsStringAsync())!["error"]!["problems"]![0]!;
        Assert.Equal(("query", "would create a cycle: loop → loop"), ((string)looped["field"]!, (string)looped["message"]!));
        using var alpha = await server.Admin.PostAsJsonAsync("/api/v1/engage/audiences", new { name = "Alpha", query = "trait('beta') = true" });
        Assert.Equal(HttpStatusCode.Created, alpha.StatusCode);
        using var beta = await server.Admin.PostAsJsonAsync("/api/v1/engage/audiences", new { name = "Beta", query = "trait('alpha') = true OR trait('plan') = 'pro'" });
        Assert.Equal(HttpStatusCode.BadRequest, beta.StatusCode);
        Assert.Contains("would create a cycle", (string)JsonNode.Parse(await beta.Content.ReadAsStringAsync())!["error"]!["problems"]![0]!["message"]!, StringComparison.Ordinal);
        using var alphaGone = await server.Admin.DeleteAsync("/api/v1/engage/alpha");
        Assert.True(alphaGone.IsSuccessStatusCode);

        using var taken = await server.Admin.PostAsJsonAsync("/api/v1/engage/computed-traits", new { name = "Buyers", query = "event('X').count()" });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);

        using var query = await server.Admin.PostAsJsonAsync("/api/v1/engage/audiences", new { name = "Odd", query = "event('X').count() >" });
        var bad = JsonNode.Parse(await query.Content.ReadAsStringAsync())!["error"]!["problems"]![0]!;
        Assert.Equal("query", (string)bad["field"]!);
        Assert.Contains("position 20", (string)bad["message"]!, StringComparison.Ordinal);

        using var readOnly = await (await server.ClientWithRoleAsync("read-only")).PostAsJsonAsync("/api/v1/engage/audiences", new { name = "A", query = "trait('a') = 1" });
        Assert.Equal(HttpStatusCode.Forbidden, readOnly.StatusCode);
    }

    [Fact]
    public async Task An_audience_deleted_and_made_again_under_its_key_lists_every_member_again()
    {
        await using var server = await StartAsync("");
        await server.PostAsync("/v1/track", """{"userId":"ada","event":"Order Completed","messageId":"a0","properties":{"total":40}}""");
        await server.PostAsync("/v1/track", """{"userId":"bob","event":"Order Completed","messageId":"b0","properties":{"total":50}}""");
        var audience = JsonNode.Parse("""{"name":"Buyers","query":"event('Order Completed').count() >= 1"}""");
        using (var made = await server.Admin.PostAsJsonAsync("/api/v1/engage/audiences", audience))
        {
            Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        }

        await WaitAsync(server, "/api/v1/engage/buyers", one => (string?)one["status"] == "live" && (int?)one["size"] == 2);
        using (var deleted = await server.Admin.DeleteAsync("/api/v1/engage/buyers"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        // The profiles' stored states still hold the old membership under the key: the new audience must not take it for its own.
        using (var again = await server.Admin.PostAsJsonAsync("/api/v1/engage/audiences", audience))
        {
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        }

        await WaitAsync(server, "/api/v1/engage/buyers", one => (string?)one["status"] == "live");
        var members = await GetAsync(server, "/api/v1/engage/buyers/members");
        Assert.Equal(2, members["members"]!.AsArray().Count);
        Assert.Equal(2, (int)(await GetAsync(server, "/api/v1/engage/buyers"))["size"]!);
    }

    [Theory]
    [InlineData("")]
    [InlineData("engage: {computedTraits: [{name: Sign-ups, query: \"event('Signed Up').count()\"}]}")]
    public async Task An_audience_deleted_and_made_again_counts_the_events_of_the_time_it_was_gone(string otherDefinitions)
    {
        await using var server = await StartAsync(otherDefinitions);
        await DeleteAndMakeAgainAcrossAnOrderAsync(server, server);
    }

    /// <summary>Two nodes on one store: what each step knows of the aggregates' registrations is the store's, not the node's.</summary>
    [Fact]
    public async Task An_audience_deleted_on_one_node_and_made_again_on_another_counts_the_events_either_took_meanwhile()
    {
        var data = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        await using var first = await StartAsync("", data);
        await using var second = await StartAsync("", data);
        await DeleteAndMakeAgainAcrossAnOrderAsync(first, second);
    }

    /// <summary>
    /// Ada orders, "Twice" is made on <paramref name="one"/> and deleted on <paramref name="other"/>, Ada orders
    /// again, and "Twice" is made again on <paramref name="other"/>: Ada, and she alone, is a member.
    /// </summary>
    private static async Task DeleteAndMakeAgainAcrossAnOrderAsync(InProcessServer one, InProcessServer other)
    {
        await one.PostAsync("/v1/track", """{"userId":"ada","event":"Order Completed","messageId":"a0","properties":{"total":40}}""");
        // Bob's one order stays counted in his stored state, which nothing touches while the audience is gone: it is not counted twice.
        await other.PostAsync("/v1/track", """{"userId":"bob","event":"Order Completed","messageId":"b0","properties":{"total":30}}""");
        var audience = JsonNode.Parse("""{"name":"Twice","query":"event('Order Completed').count() >= 2"}""");
        using (var made = await one.Admin.PostAsJsonAsync("/api/v1/engage/audiences", audience))
        {
            Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        }

        await WaitAsync(other, "/api/v1/engage/twice", d => (string?)d["status"] == "live");
        using (var deleted = await other.Admin.DeleteAsync("/api/v1/engage/twice"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        // Ada's second order while nothing counts orders; the identify after it (same user, so after it in the log) says it was taken.
        await other.PostAsync("/v1/track", """{"userId":"ada","event":"Order Completed","messageId":"a1","properties":{"total":50}}""");
        await other.PostAsync("/v1/identify", """{"userId":"ada","messageId":"a2","traits":{"seen":2}}""");
        await WaitForTraitAsync(one, "user_id:ada", "\"seen\"");
        using (var again = await other.Admin.PostAsJsonAsync("/api/v1/engage/audiences", audience))
        {
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        }

        await one.PostAsync("/v1/track", """{"userId":"cy","event":"Order Completed","messageId":"c0","properties":{"total":20}}""");
        var live = await WaitAsync(one, "/api/v1/engage/twice", d => (string?)d["status"] == "live");
        Assert.Equal(1, (int)live["size"]!);
        var member = Assert.Single((await GetAsync(other, "/api/v1/engage/twice/members"))["members"]!.AsArray());
        Assert.Equal("ada", (string?)(await GetAsync(one, $"/api/v1/profiles/{(string)member!["profile"]!}"))["identifiers"]![0]!["value"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_audience_taken_out_of_the_workspace_file_and_put_back_lists_who_is_in_it_now(bool withAnother)
    {
        const string Pros = "{name: Pros, query: \"trait('plan') = 'pro'\"}";
        const string SignUps = "{name: Sign-ups, query: \"event('Signed Up').count()\"}";
        var withPros = withAnother ? $"engage: {{computedTraits: [{SignUps}], audiences: [{Pros}]}}" : $"engage: {{audiences: [{Pros}]}}";
        var withoutPros = withAnother ? $"engage: {{computedTraits: [{SignUps}]}}" : "";
        var data = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        await using (var first = await StartAsync(withPros, data))
        {
            await first.PostAsync("/v1/identify", """{"userId":"cy","messageId":"c0","traits":{"plan":"pro"}}""");
            await WaitAsync(first, "/api/v1/engage/pros", one => (string?)one["status"] == "live" && (int?)one["size"] == 1);
        }

        // Restarted without it: Cy moves to the free plan and Dee to pro while nothing computes the audience.
        await using (var without = await StartAsync(withoutPros, data))
        {
            await without.PostAsync("/v1/identify", """{"userId":"cy","messageId":"c1","traits":{"plan":"free"}}""");
            await without.PostAsync("/v1/identify", """{"userId":"dee","messageId":"d0","traits":{"plan":"pro"}}""");
            await WaitForTraitAsync(without, "user_id:cy", "free");
            await WaitForTraitAsync(without, "user_id:dee", "pro");
        }

        await using var back = await StartAsync(withPros, data);
        var live = await WaitAsync(back, "/api/v1/engage/pros", one => (string?)one["status"] == "live");
        Assert.Equal(1, (int)live["size"]!);
        var member = Assert.Single((await GetAsync(back, "/api/v1/engage/pros/members"))["members"]!.AsArray());
        Assert.Equal("dee", (string?)(await GetAsync(back, $"/api/v1/profiles/{(string)member!["profile"]!}"))["identifiers"]![0]!["value"]);
    }

    [Fact]
    public async Task A_member_an_audiences_change_keeps_is_a_member_since_the_same_instant()
    {
        await using var server = await StartAsync("");
        await server.PostAsync("/v1/track", """{"userId":"ada","event":"Order Completed","messageId":"a0","properties":{"total":40}}""");
        using (var made = await server.Admin.PostAsJsonAsync("/api/v1/engage/audiences", new { name = "Buyers", query = "event('Order Completed').count() >= 1" }))
        {
            Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        }

        await WaitAsync(server, "/api/v1/engage/buyers", one => (string?)one["status"] == "live" && (int?)one["size"] == 1);
        var since = (string?)(await GetAsync(server, "/api/v1/engage/buyers/members"))["members"]![0]!["since"];

        // Another query with the same members: every profile is evaluated again, and Ada stays in.
        using (var changed = await server.Admin.PutAsJsonAsync("/api/v1/engage/buyers", new { name = "Buyers", query = "event('Order Completed').count() > 0" }))
        {
            Assert.True(changed.IsSuccessStatusCode, await changed.Content.ReadAsStringAsync());
        }

        await WaitAsync(server, "/api/v1/engage/buyers", one => (string?)one["status"] == "live");
        var members = (await GetAsync(server, "/api/v1/engage/buyers/members"))["members"]!.AsArray();
        Assert.Equal(since, (string?)Assert.Single(members)!["since"]);
    }

    private static Task<InProcessServer> StartAsync(string engage, string? data = null) => InProcessServer.StartAsync(o => data is null ? o : o with { DataDirectory = data }, workspaceYaml: $$"""
        sources:
          - {id: {{InProcessServer.SourceId}}, writeKey: {{InProcessServer.WriteKey}}}
        identity: {}
        {{engage}}
        """);

    private static async Task<JsonNode> GetAsync(InProcessServer server, string path)
    {
        using var response = await server.Admin.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    private static async Task<JsonNode> PostAsync(InProcessServer server, string path, string json)
    {
        using var response = await server.Admin.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>Waits for the profile to exist (404 until its first event is resolved) with a trait whose JSON holds <paramref name="text"/>.</summary>
    private static async Task WaitForTraitAsync(InProcessServer server, string identifier, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await server.Admin.GetAsync($"/api/v1/profiles/{identifier}");
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode && JsonNode.Parse(body)!["traits"]?.ToJsonString().Contains(text, StringComparison.Ordinal) == true)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{identifier} had no trait with {text} within 30 s: {(int)response.StatusCode} {body}");
            await Task.Delay(50);
        }
    }

    private static async Task<JsonNode> WaitAsync(InProcessServer server, string path, Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var body = await GetAsync(server, path);
            if (done(body))
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{path} did not become as expected within 30 s: {body.ToJsonString()}");
            await Task.Delay(50);
        }
    }
}
