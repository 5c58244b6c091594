using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Engage.Activation;

/// <summary>
/// Audiences and computed traits connected to Stories and Stitch Data, on a running <c>sluice serve</c>
/// with the two services' stand-ins: members arrive as identify calls in the shapes the destinations'
/// docs give, changes only for the users whose membership or value changed, a connection added later
/// first receives exactly the current members, and Stories refuses an anonymous member with the reason.
/// </summary>
public sealed class EngageSyncTests
{
    private const string WriteKey = "wk_engage";

    private static string Workspace(string storiesUrl, string stitchUrl, bool storiesConnected) => $$"""
        sources:
          - {id: web, writeKey: {{WriteKey}}}
        destinations:
          - id: stories
            type: stories
            sources: []
            settings: {apiKey: st-token, baseUrl: '{{storiesUrl}}'}
          - id: stitch
            type: stitch-data
            sources: []
            settings: {endpoint: '{{stitchUrl}}/hook', apiKey: stitch-key}
        identity: {}
        engage:
          computedTraits:
            - name: Order count
              query: event('Order Completed').count()
              destinations: [stitch]
          audiences:
            - name: Pro users
              query: trait('plan') = 'pro'
              destinations: [{id: stitch, sendTrack: true}{{(storiesConnected ? ", stories" : "")}}]
            - name: Anonymous buyers
              query: event('Order Completed').count() >= 1 AND NOT trait('email').exists()
              includeAnonymous: true
              destinations: [stories]
        """;

    [Fact]
    public async Task Members_arrive_as_identify_calls_then_only_changes_and_a_new_connection_first_gets_exactly_the_members()
    {
        await using var stories = await RecordingServer.StartAsync();
        await using var stitch = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync(Workspace(stories.BaseUrl, stitch.BaseUrl, storiesConnected: false));
        await using (var server = await workspace.StartAsync())
        {
            await PostAsync(server, """
                {"type":"identify","userId":"ada","anonymousId":"a-ada","traits":{"email":"ada@example.com","plan":"pro"}},
                {"type":"identify","userId":"bob","traits":{"plan":"pro"}},
                {"type":"identify","userId":"cy","traits":{"plan":"free"}},
                {"type":"track","userId":"ada","event":"Order Completed","properties":{"total":30}}
                """);
            var adaIn = await WaitForAsync(stitch, r => Identify(r, "ada", "pro_users") is not null);
            Assert.Equal(true, (bool?)adaIn["traits"]!["pro_users"]);
            Assert.Equal("ada@example.com", (string?)adaIn["traits"]!["email"]);
            Assert.Equal("a-ada", (string?)adaIn["anonymousId"]);
            Assert.Equal(
                """{"computation_class":"audience","computation_id":"aud_pro_users","computation_key":"pro_users","namespace":"spa_sluice","space_id":"spa_sluice"}""",
                adaIn["context"]!["personas"]!.ToJsonString());
            Assert.Equal("""{"All":false,"Stitch Data":true}""", adaIn["integrations"]!.ToJsonString());
            Assert.StartsWith("personas_", (string?)adaIn["messageId"], StringComparison.Ordinal);
            var entered = await WaitForAsync(stitch, r => Body(r) is { } b && (string?)b["type"] == "track" && (string?)b["userId"] == "ada");
            Assert.Equal("Audience Entered", (string?)entered["event"]);
            Assert.Equal("""{"audience_key":"pro_users","pro_users":true}""", entered["properties"]!.ToJsonString());
            Assert.Equal("ada@example.com", (string?)entered["context"]!["traits"]!["email"]);
            var count = await WaitForAsync(stitch, r => Identify(r, "ada", "order_count") is not null);
            Assert.Equal(1, (int?)count["traits"]!["order_count"]);
            await WaitForAsync(stitch, r => Identify(r, "bob", "pro_users") is not null);

            // Bob leaves, Cy joins: only they get messages, once each.
            var before = stitch.Received.Count;
            await PostAsync(server, """
                {"type":"identify","userId":"bob","traits":{"plan":"free"}},
                {"type":"identify","userId":"cy","traits":{"plan":"pro"}}
                """);
            var bobOut = await WaitForAsync(stitch, r => Identify(r, "bob", "pro_users") is { } t && (bool?)t["pro_users"] == false);
            await WaitForAsync(stitch, r => Identify(r, "cy", "pro_users") is not null);
            await WaitForAsync(stitch, r => Body(r) is { } b && (string?)b["event"] == "Audience Exited" && (string?)b["userId"] == "bob");
            await Task.Delay(1_500);
            var later = stitch.Received.Skip(before).Select(Body).OfType<JsonNode>().ToList();
            Assert.Equal(["bob:identify", "bob:track", "cy:identify", "cy:track"], later.Select(b => $"{b["userId"]}:{b["type"]}").Order());
            Assert.Null(bobOut["traits"]!["email"]);
        }

        // Stories connected to Pro users now: its first sync is exactly the members, Ada and Cy.
        await workspace.RewriteAsync(Workspace(stories.BaseUrl, stitch.BaseUrl, storiesConnected: true));
        await using (var server = await workspace.StartAsync())
        {
            await WaitForAsync(stories, r => r.Path == "/v1/users" && (string?)Body(r)?["user_id"] == "cy");
            await WaitForAsync(stories, r => r.Path == "/v1/users" && (string?)Body(r)?["user_id"] == "ada");
            await Task.Delay(1_500);
            var users = stories.Received.Where(r => r.Path == "/v1/users").Select(r => Body(r)!).ToList();
            Assert.Equal(["ada", "cy"], users.Select(u => (string)u["user_id"]!).Order());
            Assert.Equal("""{"user_id":"ada","email":"ada@example.com","attributes":{"pro_users":true}}""", users.Single(u => (string?)u["user_id"] == "ada").ToJsonString());
            var timeline = stories.Received.Where(r => r.Path == "/v1/events").Select(r => Body(r)!).Single(e => (string?)e["user_id"] == "cy");
            Assert.Equal("""{"user_id":"cy","name":"Identify","data":{"traits":{"pro_users":true}}}""", timeline.ToJsonString());

            // The definition's sync history: Stories' first sync sent its two members; Stitch's runs add up to what it was sent.
            var described = JsonNode.Parse(await server.Admin.GetStringAsync("/api/v1/engage/pro_users"))!;
            var history = described["syncHistory"]!.AsArray().Select(r => r!).ToList();
            var storiesRun = Assert.Single(history, r => (string?)r["destination"] == "stories");
            Assert.Equal(("first", 2, 2), ((string)storiesRun["kind"]!, (int)storiesRun["values"]!, (int)storiesRun["messages"]!));
            var stitchRuns = history.Where(r => (string?)r["destination"] == "stitch").ToList();
            Assert.Equal("first", (string?)stitchRuns[^1]["kind"]);
            Assert.All(stitchRuns.SkipLast(1), r => Assert.Equal("changes", (string?)r["kind"]));
            var stitchSync = described["syncs"]!.AsArray().Single(s => (string?)s!["destination"] == "stitch")!;
            Assert.Equal((long)stitchSync["messages"]!, stitchRuns.Sum(r => (long)r["messages"]!));
            Assert.Equal(history.Select(r => (string)r["at"]!).OrderDescending(StringComparer.Ordinal), history.Select(r => (string)r["at"]!));

            // An anonymous buyer is a member of an audience connected to Stories, which takes only identified users.
            await PostAsync(server, """{"type":"track","anonymousId":"anon-1","event":"Order Completed","properties":{"total":5}}""");
            var refused = await WaitForSkippedAsync(server);
            Assert.Equal("Stories does not support anonymous users: the call has no userId", (string?)refused["reason"]);
        }
    }

    [Fact]
    public async Task A_profile_that_gains_an_identifier_is_sent_its_values_again_as_identify_calls_alone()
    {
        await using var stories = await RecordingServer.StartAsync();
        await using var stitch = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync(Workspace(stories.BaseUrl, stitch.BaseUrl, storiesConnected: false));
        await using var server = await workspace.StartAsync();
        await PostAsync(server, """
            {"type":"identify","userId":"dee","traits":{"plan":"pro"}},
            {"type":"identify","userId":"eve","traits":{"plan":"free"}},
            {"type":"track","userId":"dee","event":"Order Completed","properties":{"total":30}}
            """);
        await WaitForAsync(stitch, r => Body(r) is { } b && (string?)b["event"] == "Audience Entered" && (string?)b["userId"] == "dee");
        await WaitForAsync(stitch, r => Identify(r, "dee", "order_count") is not null);
        await Task.Delay(1_500);

        // Dee's email is new to her profile, Eve's too (she is in no audience and has no count); a trait that is no identifier is not.
        var before = stitch.Received.Count;
        await PostAsync(server, """
            {"type":"identify","userId":"dee","traits":{"email":"dee@example.com"}},
            {"type":"identify","userId":"eve","traits":{"email":"eve@example.com"}},
            {"type":"identify","userId":"dee","traits":{"team":"blue"}}
            """);
        var again = await WaitForAsync(stitch, r => Identify(r, "dee", "pro_users") is { } t && (string?)t["email"] == "dee@example.com");
        await WaitForAsync(stitch, r => Identify(r, "dee", "order_count") is { } t && (string?)t["email"] == "dee@example.com");
        await Task.Delay(1_500);

        Assert.Equal(true, (bool?)again["traits"]!["pro_users"]);
        var later = stitch.Received.Skip(before).Select(Body).OfType<JsonNode>().ToList();
        Assert.Equal(["dee:identify:order_count", "dee:identify:pro_users"], later.Select(b => $"{b["userId"]}:{b["type"]}:{b["traits"]!.AsObject().First(t => t.Key != "email").Key}").Order());
        var changes = JsonNode.Parse(await server.Admin.GetStringAsync("/api/v1/engage/pro_users"))!["recentChanges"]!.AsArray();
        Assert.Equal([(true, false), (true, true)], changes.Select(c => ((bool)c!["value"]!, (bool)c["resent"]!)).Order());
    }

    [Fact]
    public async Task A_kill_during_a_sync_loses_no_member_and_sends_none_a_different_message()
    {
        const int Users = 1_500;
        await using var stories = await RecordingServer.StartAsync();
        await using var stitch = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync(Workspace(stories.BaseUrl, stitch.BaseUrl, storiesConnected: false));
        var server = await workspace.StartAsync();
        try
        {
            for (var first = 0; first < Users; first += 500)
            {
                await PostAsync(server, string.Join(",", Enumerable.Range(first, 500).Select(i => $$$"""{"type":"identify","userId":"u{{{i}}}","traits":{"plan":"pro"}}""")));
            }

            // Killed once the audience's messages have begun to arrive: some stored, some delivered, some not made yet.
            await WaitForAsync(stitch, r => Body(r) is { } b && b["traits"]?["pro_users"] is not null);
            server.Kill();
            Assert.True(Members(stitch).Count < Users, "the sync was over before the kill: nothing was left to lose");
        }
        finally
        {
            await server.DisposeAsync();
        }

        await using (await workspace.StartAsync())
        {
            for (var waits = 0; Members(stitch).Select(m => (string)m["userId"]!).Distinct().Count() < Users; waits++)
            {
                Assert.True(waits < 1_200, $"{Members(stitch).Select(m => (string)m["userId"]!).Distinct().Count()} of {Users} members arrived after the restart");
                await Task.Delay(50);
            }
        }

        // A request repeated after the kill repeats the same message: one messageId per member, one body per messageId.
        var members = Members(stitch);
        Assert.All(members.GroupBy(m => (string)m["userId"]!), user => Assert.Single(user.Select(m => (string)m["messageId"]!).Distinct()));
        Assert.All(members.GroupBy(m => (string)m["messageId"]!), copies => Assert.Single(copies.Select(m => m.ToJsonString()).Distinct()));
    }

    [Fact]
    public async Task FullStory_takes_a_member_through_its_Identify_User_preset_with_the_audience_as_a_property()
    {
        await using var fullstory = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync($$"""
            sources:
              - {id: web, writeKey: {{WriteKey}}}
            destinations:
              - id: fs
                type: actions-fullstory-cloud
                sources: []
                settings: {apiKey: fs-key, baseUrl: '{{fullstory.BaseUrl}}'}
            identity: {}
            engage:
              audiences:
                - name: Pro users
                  query: trait('plan') = 'pro'
                  destinations: [fs]
            """);
        await using var server = await workspace.StartAsync();

        await PostAsync(server, """{"type":"identify","userId":"ada","anonymousId":"a-ada","traits":{"email":"ada@example.com","plan":"pro"}}""");

        // The Integrations object names FullStory alone by its catalog name, which lets the message through its presets.
        var created = await WaitForAsync(fullstory, r => r.Path == "/v2/users" && Body(r)?["properties"]?["pro_users"] is not null);
        Assert.Equal("""{"uid":"ada","email":"ada@example.com","properties":{"pro_users":true,"email":"ada@example.com","segmentAnonymousId":"a-ada"}}""", created.ToJsonString());
    }

    /// <summary>The identify calls of the Pro users audience a stand-in received.</summary>
    private static List<JsonNode> Members(RecordingServer server) =>
        [.. server.Received.Select(Body).OfType<JsonNode>().Where(b => (string?)b["type"] == "identify" && b["traits"]?["pro_users"] is not null)];

    private static async Task<JsonObject> WaitForSkippedAsync(SluiceProcess server)
    {
        for (var i = 0; i < 400; i++)
        {
            if ((await DeliveryLog.ReadAsync(server.Admin, "stories")).FirstOrDefault(d => (string?)d["status"] == "skipped") is { } skipped)
            {
                return skipped;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no skipped delivery to stories");
    }

    private static JsonNode? Body(RecordedRequest request) => request.Body.Length > 0 ? JsonNode.Parse(request.Body) : null;

    private static JsonNode? Identify(RecordedRequest request, string userId, string key) =>
        Body(request) is { } body && (string?)body["type"] == "identify" && (string?)body["userId"] == userId && body["traits"]?[key] is not null ? body["traits"] : null;

    private static async Task<JsonNode> WaitForAsync(RecordingServer server, Func<RecordedRequest, bool> wanted)
    {
        for (var i = 0; i < 400; i++)
        {
            if (server.Received.FirstOrDefault(wanted) is { } found)
            {
                return Body(found)!;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"the stand-in did not receive the request; it received {server.Received.Count}: {string.Join(" | ", server.Received.Take(10).Select(r => r.Body))}");
    }

    private static async Task PostAsync(SluiceProcess server, string items)
    {
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":")));
        using var response = await client.PostAsync("/v1/batch", new StringContent($$"""{"batch":[{{items}}]}""", Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }
}
