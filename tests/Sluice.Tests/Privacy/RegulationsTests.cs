using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Privacy;

/// <summary>
/// Privacy regulations on a running <c>sluice serve</c> with FullStory's and a webhook's stand-ins:
/// a suppressed subject's events are answered and kept nowhere; a deletion erases every trace of the
/// subject, in the log's shared rows too, while other users' events in the same rows stay as they were
/// and are delivered; FullStory receives its user deletion request, retried while it fails; a node killed
/// in the middle of a deletion finishes it after its restart.
/// </summary>
public sealed class RegulationsTests
{
    private const string WriteKey = "wk_privacy";
    private const string FullStoryKey = "fs-admin-key";

    private static string Workspace(string fullStoryUrl, string webhookUrl) => $$$"""
        sources:
          - {id: web, writeKey: {{{WriteKey}}}}
        destinations:
          - id: fullstory
            type: actions-fullstory-cloud
            sources: [web]
            settings: {apiKey: {{{FullStoryKey}}}, baseUrl: '{{{fullStoryUrl}}}'}
          - id: hook
            type: webhook
            sources: [web]
            mappings:
              - name: all
                action: send
                trigger: 'type = "track" or type = "identify"'
                mapping:
                  url: '{{{webhookUrl}}}/hook'
                  method: POST
                  data: {'@path': '$.'}
        identity: {}
        engage:
          computedTraits:
            - name: Order count
              query: event('Order Completed').count()
        """;

    [Fact]
    public async Task A_suppressed_subjects_new_events_are_answered_and_appear_nowhere_and_its_waiting_deliveries_are_cancelled()
    {
        await using var fullStory = await RecordingServer.StartAsync();
        await using var webhook = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync(Workspace(fullStory.BaseUrl, webhook.BaseUrl));
        await using var server = await workspace.StartAsync();

        // The webhook is down: the subject's earlier event waits there, retried.
        webhook.Always = new ScriptedAnswer(503);
        await PostAsync(server, """{"type":"track","userId":"quiet-user-41","event":"Order Completed","messageId":"m-before"}""");
        await DeliveryLog.WaitForAsync(server.Admin, "hook", "m-before", DeliveryLog.Status("retrying"));

        var made = await CreateAsync(server, "SUPPRESS_ONLY", "USER_ID", "quiet-user-41");
        Assert.Equal("SUPPRESS_ONLY", (string?)made["regulationType"]);
        var done = await WaitForStatusAsync(server, (string)made["id"]!, "FINISHED");
        Assert.Equal(1, (long?)done["store"]!["deliveriesCancelled"]);
        var cancelled = await DeliveryLog.WaitForAsync(server.Admin, "hook", "m-before", DeliveryLog.Status("filtered"));
        Assert.StartsWith("suppressed:", (string?)cancelled["reason"], StringComparison.Ordinal);

        // New events: answered 200 whether or not they are the subject's, and only the others' are kept.
        webhook.Always = null;
        await PostAsync(server, """
            {"type":"identify","userId":"quiet-user-41","messageId":"m-quiet-1","traits":{"email":"quiet-marker@example.com"}},
            {"type":"track","anonymousId":"a-9","userId":"quiet-user-41","event":"Order Completed","messageId":"m-quiet-2"},
            {"type":"track","userId":"loud-user","event":"Order Completed","messageId":"m-loud"}
            """);
        using (var single = await TrackAsync(server, "/v1/track", """{"userId":"quiet-user-41","event":"Alone","messageId":"m-quiet-3"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, single.StatusCode);
        }

        await DeliveryLog.WaitForAsync(server.Admin, "hook", "m-loud", DeliveryLog.Status("delivered"));
        var events = (await server.EventsAsync("web")).Select(e => (string?)e!["messageId"]).ToList();
        Assert.Contains("m-loud", events);
        Assert.DoesNotContain(events, id => id!.StartsWith("m-quiet", StringComparison.Ordinal));
        var deliveries = await DeliveryLog.ReadAsync(server.Admin, "hook");
        Assert.DoesNotContain(deliveries, d => ((string?)d["messageId"])!.StartsWith("m-quiet", StringComparison.Ordinal));
        Assert.DoesNotContain(webhook.Received, r => r.Body.Contains("quiet-marker", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Admin.GetAsync("/api/v1/profiles/anonymous_id:a-9")).StatusCode);
        Assert.DoesNotContain("quiet-marker", TestStore.EverythingAtRest(server.DataDirectory), StringComparison.Ordinal);

        var lookedUp = JsonNode.Parse(await server.Admin.GetStringAsync("/api/v1/privacy/suppressed?subjectType=USER_ID&subjectId=quiet-user-41"))!;
        Assert.Equal(true, (bool?)lookedUp["suppressed"]);
        var list = JsonNode.Parse(await server.Admin.GetStringAsync("/api/v1/privacy/suppressed"))!;
        Assert.Equal(1, (long?)list["count"]);
        Assert.DoesNotContain("quiet-user-41", list.ToJsonString(), StringComparison.Ordinal);

        // Lifted: new events are kept and delivered again (the earlier ones stay as they were).
        await WaitForStatusAsync(server, (string)(await CreateAsync(server, "UNSUPPRESS", "USER_ID", "quiet-user-41"))["id"]!, "FINISHED");
        await PostAsync(server, """{"type":"track","userId":"quiet-user-41","event":"Order Completed","messageId":"m-quiet-again"}""");
        await DeliveryLog.WaitForAsync(server.Admin, "hook", "m-quiet-again", DeliveryLog.Status("delivered"));
        Assert.Equal(false, (bool?)JsonNode.Parse(await server.Admin.GetStringAsync("/api/v1/privacy/suppressed?subjectType=USER_ID&subjectId=quiet-user-41"))!["suppressed"]);
    }

    [Fact]
    public async Task A_deletion_removes_every_trace_of_the_subject_and_other_users_events_in_the_same_rows_stay_and_are_delivered()
    {
        await using var fullStory = await RecordingServer.StartAsync();
        await using var webhook = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync(Workspace(fullStory.BaseUrl, webhook.BaseUrl));
        await using (var server = await workspace.StartAsync())
        {
            // The webhook fails until the deletion is done: the kept user's deliveries wait, retried, meanwhile.
            webhook.Always = new ScriptedAnswer(503);
            await PostAsync(server, """
                {"type":"track","anonymousId":"anon-erase-me-91","event":"Viewed","messageId":"m-gone-1","properties":{"note":"erase-me-before-login"}},
                {"type":"track","anonymousId":"anon-keep-me","event":"Viewed","messageId":"m-kept-1"}
                """);
            // A long property: its rows spill over into pages of their own, which a rewrite or a delete frees whole.
            var essay = string.Concat(Enumerable.Repeat("erase-me-essay ", 2_000));
            await PostAsync(server, $$$"""
                {"type":"identify","anonymousId":"anon-erase-me-91","userId":"erase-me-7f3a","messageId":"m-gone-2","traits":{"email":"erase-me@example.com"}},
                {"type":"identify","anonymousId":"anon-keep-me","userId":"keep-me-2b","messageId":"m-kept-2","traits":{"email":"keep-me@example.com"}},
                {"type":"track","userId":"erase-me-7f3a","event":"Order Completed","messageId":"m-gone-3","properties":{"total":12,"essay":"{{{essay}}}"}},
                {"type":"track","userId":"keep-me-2b","event":"Order Completed","messageId":"m-kept-3","properties":{"total":7}}
                """);
            await DeliveryLog.WaitForAsync(server.Admin, "hook", "m-kept-3", Waiting);
            await DeliveryLog.WaitForAsync(server.Admin, "hook", "m-gone-3", Waiting);
            await Eventually.True(async () => (await server.Admin.GetAsync("/api/v1/profiles/user_id:erase-me-7f3a")).IsSuccessStatusCode);
            await Eventually.True(async () => (await server.Admin.GetAsync("/api/v1/profiles/anonymous_id:anon-erase-me-91")).IsSuccessStatusCode);
            var keptBefore = (await server.EventsAsync("web")).Where(e => ((string?)e!["messageId"])!.StartsWith("m-kept", StringComparison.Ordinal)).Select(e => e!.ToJsonString()).Order().ToList();

            var made = await CreateAsync(server, "SUPPRESS_WITH_DELETE", "USER_ID", "erase-me-7f3a");
            var done = await WaitForStatusAsync(server, (string)made["id"]!, "FINISHED");

            // FullStory: its user deletion request, as its destination's onDelete builds it; the webhook cannot delete.
            var deletion = Assert.Single(fullStory.Received, r => r.Method == "DELETE");
            Assert.Equal("/v2/users?uid=erase-me-7f3a", deletion.Path);
            Assert.Equal("Basic " + FullStoryKey, deletion.Headers["Authorization"]);
            var destinations = done["destinations"]!.AsArray().ToDictionary(d => (string)d!["destinationId"]!, d => d!);
            Assert.Equal("FINISHED", (string?)destinations["fullstory"]["status"]);
            Assert.Equal(200, (int?)destinations["fullstory"]["requests"]![0]!["httpStatus"]);
            Assert.Equal("NOT_SUPPORTED", (string?)destinations["hook"]["status"]);
            Assert.Equal(3, (long?)done["store"]!["eventsErased"]);
            Assert.Equal(1, (long?)done["store"]!["profilesErased"]);
            Assert.Null(done["subjectIds"]);

            // Nothing of the subject in the events, the profiles, the deliveries; the kept user's events exactly as they were.
            var events = await server.EventsAsync("web");
            Assert.DoesNotContain(events, e => ((string?)e!["messageId"])!.StartsWith("m-gone", StringComparison.Ordinal));
            Assert.Equal(keptBefore, events.Where(e => ((string?)e!["messageId"])!.StartsWith("m-kept", StringComparison.Ordinal)).Select(e => e!.ToJsonString()).Order());
            Assert.Equal(HttpStatusCode.NotFound, (await server.Admin.GetAsync("/api/v1/profiles/user_id:erase-me-7f3a")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await server.Admin.GetAsync("/api/v1/profiles/anonymous_id:anon-erase-me-91")).StatusCode);
            Assert.True((await server.Admin.GetAsync("/api/v1/profiles/user_id:keep-me-2b")).IsSuccessStatusCode);
            var deliveries = await DeliveryLog.ReadAsync(server.Admin, "hook");
            Assert.DoesNotContain(deliveries, d => ((string?)d["messageId"])!.StartsWith("m-gone", StringComparison.Ordinal));

            // The kept user's waiting deliveries, from the same rows, go once the webhook is back; the subject's never do.
            webhook.Always = null;
            await DeliveryLog.WaitForAsync(server.Admin, "hook", "m-kept-3", DeliveryLog.Status("delivered"));
            await DeliveryLog.WaitForAsync(server.Admin, "hook", "m-kept-1", DeliveryLog.Status("delivered"));
            Assert.DoesNotContain(webhook.Received, r => r.Succeeded && r.Body.Contains("erase-me", StringComparison.Ordinal));

            // Suppressed as well: a new event of the subject is answered and kept nowhere.
            await PostAsync(server, """{"type":"track","userId":"erase-me-7f3a","event":"Order Completed","messageId":"m-gone-4"}""");
            await PostAsync(server, """{"type":"track","userId":"keep-me-2b","event":"Order Completed","messageId":"m-kept-4"}""");
            await DeliveryLog.WaitForAsync(server.Admin, "hook", "m-kept-4", DeliveryLog.Status("delivered"));
            await server.StopAsync();
        }

        // At rest, after the shutdown's checkpoint: not a byte of the subject; the kept user is all there.
        var atRest = TestStore.EverythingAtRest(workspace.DataDirectory);
        foreach (var trace in new[] { "erase-me-7f3a", "anon-erase-me-91", "erase-me@example.com", "erase-me-before-login", "erase-me-essay" })
        {
            Assert.DoesNotContain(trace, atRest, StringComparison.Ordinal);
        }

        Assert.Contains("keep-me@example.com", atRest, StringComparison.Ordinal);
        Assert.Contains("anon-keep-me", atRest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_FullStory_is_retried_and_the_status_says_so_then_a_refused_key_fails_with_the_reason()
    {
        await using var fullStory = await RecordingServer.StartAsync();
        await using var webhook = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync(Workspace(fullStory.BaseUrl, webhook.BaseUrl));
        await using var server = await workspace.StartAsync();

        // The credential check at start goes to the same stand-in: the script is for the deletion's requests alone.
        await fullStory.WaitUntilAsync(received => received.Any(r => r.Path == "/me"));
        fullStory.AnswerNext(new ScriptedAnswer(503), new ScriptedAnswer(503));
        var made = await CreateAsync(server, "DELETE_ONLY", "USER_ID", "retry-me");
        var id = (string)made["id"]!;
        var retrying = await WaitForAsync(server, id, r => (int?)FullStoryRequest(r)["attempts"] >= 1 && (string?)FullStoryRequest(r)["status"] == "RUNNING");
        Assert.Equal("RUNNING", (string?)retrying["status"]);
        Assert.Equal(503, (int?)FullStoryRequest(retrying)["httpStatus"]);
        Assert.StartsWith("retrying: HTTP 503", (string?)FullStoryRequest(retrying)["reason"], StringComparison.Ordinal);
        Assert.NotNull(FullStoryRequest(retrying)["nextAttemptAt"]);
        var finished = await WaitForStatusAsync(server, id, "FINISHED");
        Assert.Equal(3, (int?)FullStoryRequest(finished)["attempts"]);
        Assert.Equal(3, fullStory.Received.Count(r => r.Method == "DELETE" && r.Path == "/v2/users?uid=retry-me"));

        fullStory.AnswerNext(new ScriptedAnswer(403, """{"code":"forbidden"}"""));
        var refused = await WaitForStatusAsync(server, (string)(await CreateAsync(server, "DELETE_ONLY", "USER_ID", "refused-me"))["id"]!, "FAILED");
        Assert.Equal("FAILED", (string?)refused["destinations"]![0]!["status"]);
        Assert.Contains("Admin or Architect", (string?)FullStoryRequest(refused)["reason"], StringComparison.Ordinal);
        Assert.Equal(1, (int?)FullStoryRequest(refused)["attempts"]);

        // An anonymous id cannot be deleted at FullStory, which deletes by user id: said so, not failed.
        var anonymous = await WaitForStatusAsync(server, (string)(await CreateAsync(server, "DELETE_ONLY", "ANONYMOUS_ID", "a-only"))["id"]!, "FINISHED");
        Assert.Equal("NOT_SUPPORTED", (string?)FullStoryRequest(anonymous)["status"]);
        Assert.Contains("User Id is required", (string?)FullStoryRequest(anonymous)["reason"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kill_in_the_middle_of_a_deletion_finishes_it_after_the_restart()
    {
        const int Users = 400;
        const int Rounds = 20;
        await using var fullStory = await RecordingServer.StartAsync();
        await using var webhook = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync(Workspace(fullStory.BaseUrl, webhook.BaseUrl));
        string id;
        var server = await workspace.StartAsync();
        try
        {
            // The subject's events spread over many rows, each shared with other users' events.
            for (var round = 0; round < Rounds; round++)
            {
                await PostAsync(server, string.Join(",", Enumerable.Range(0, Users).Select(u => u % 20 == 0
                    ? $$"""{"type":"track","userId":"kill-erase-me","event":"Order Completed","messageId":"gone-{{round}}-{{u}}"}"""
                    : $$"""{"type":"track","userId":"u{{u}}","event":"Order Completed","messageId":"kept-{{round}}-{{u}}"}""")));
            }

            id = (string)(await CreateAsync(server, "DELETE_ONLY", "USER_ID", "kill-erase-me"))["id"]!;
            JsonNode regulation;
            do
            {
                regulation = JsonNode.Parse(await server.Admin.GetStringAsync($"/api/v1/regulations/{id}"))!;
            }
            while ((long?)regulation["store"]!["eventsErased"] == 0 && (string?)regulation["store"]!["phase"] == "scan");

            server.Kill();
            Assert.NotEqual("done", (string?)regulation["store"]!["phase"]);
        }
        finally
        {
            await server.DisposeAsync();
        }

        await using (var restarted = await workspace.StartAsync())
        {
            var finished = await WaitForStatusAsync(restarted, id, "FINISHED");
            Assert.Equal(Rounds * Users / 20, (long?)finished["store"]!["eventsErased"]);
            var events = await AllEventsAsync(restarted);
            Assert.DoesNotContain(events, id => id.StartsWith("gone-", StringComparison.Ordinal));
            Assert.Equal(Rounds * (Users - (Users / 20)), events.Count(id => id.StartsWith("kept-", StringComparison.Ordinal)));
            Assert.Equal(HttpStatusCode.NotFound, (await restarted.Admin.GetAsync("/api/v1/profiles/user_id:kill-erase-me")).StatusCode);
            var deliveries = await DeliveryLog.ReadAsync(restarted.Admin, "hook", limit: 10_000);
            Assert.DoesNotContain(deliveries, d => ((string?)d["messageId"])!.StartsWith("gone-", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_regulation_names_the_field_and_the_rule_it_breaks_and_only_owners_and_privacy_officers_may_make_one()
    {
        await using var fullStory = await RecordingServer.StartAsync();
        await using var webhook = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync(Workspace(fullStory.BaseUrl, webhook.BaseUrl));
        await using var server = await workspace.StartAsync();

        foreach (var (body, field, rule) in new[]
        {
            ("""{"subjectType":"USER_ID","subjectIds":["x"]}""", "regulationType", "required"),
            ("""{"regulationType":"DELETE_INTERNAL","subjectType":"USER_ID","subjectIds":["x"]}""", "regulationType", "one_of"),
            ("""{"regulationType":"DELETE_ONLY","subjectType":"EMAIL","subjectIds":["x"]}""", "subjectType", "one_of"),
            ("""{"regulationType":"DELETE_ONLY","subjectType":"USER_ID","subjectIds":[]}""", "subjectIds", "required"),
            ("""{"regulationType":"DELETE_ONLY","subjectType":"USER_ID","subjectIds":["x",""]}""", "subjectIds[1]", "string"),
            ("""{"regulationType":"DELETE_ONLY","subjectType":"USER_ID","subjectIds":"x"}""", "subjectIds", "array"),
        })
        {
            using var response = await server.Admin.PostAsync("/api/v1/regulations", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal((field, rule), ((string?)error["field"], (string?)error["rule"]));
        }

        var tokens = new Dictionary<string, string>();
        foreach (var role in new[] { "workspace-member", "read-only", "privacy-officer" })
        {
            using var minted = await server.Admin.PostAsJsonAsync("/api/v1/tokens", new { name = role, role });
            tokens[role] = (string)JsonNode.Parse(await minted.Content.ReadAsStringAsync())!["token"]!;
        }

        foreach (var (role, expected) in new[] { ("workspace-member", HttpStatusCode.Forbidden), ("read-only", HttpStatusCode.Forbidden), ("privacy-officer", HttpStatusCode.Created) })
        {
            using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens[role]);
            using var response = await client.PostAsync("/api/v1/regulations", new StringContent("""{"regulationType":"SUPPRESS_ONLY","subjectType":"USER_ID","subjectIds":["role-check"]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(expected, response.StatusCode);
            Assert.Equal(role == "privacy-officer" ? HttpStatusCode.OK : HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/regulations")).StatusCode);
        }
    }

    /// <summary>A delivery not sent yet: retried, or held back while its destination fails.</summary>
    private static bool Waiting(JsonObject delivery) => (string?)delivery["status"] is "pending" or "retrying";

    /// <summary>Every stored event's messageId, page after page.</summary>
    private static async Task<List<string>> AllEventsAsync(SluiceProcess server)
    {
        var ids = new List<string>();
        string? next = null;
        do
        {
            var page = JsonNode.Parse(await server.Admin.GetStringAsync($"/api/v1/sources/web/events?limit=10000{(next is null ? "" : "&before=" + next)}"))!;
            ids.AddRange(page["events"]!.AsArray().Select(e => (string)e!["messageId"]!));
            next = (string?)page["next"];
        }
        while (next is not null);

        return ids;
    }

    private static JsonNode FullStoryRequest(JsonNode regulation) =>
        regulation["destinations"]!.AsArray().Single(d => (string?)d!["destinationId"] == "fullstory")!["requests"]![0]!;

    private static async Task<JsonObject> CreateAsync(SluiceProcess server, string type, string subjectType, params string[] ids)
    {
        using var response = await server.Admin.PostAsJsonAsync("/api/v1/regulations", new { regulationType = type, subjectType, subjectIds = ids });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    private static Task<JsonNode> WaitForStatusAsync(SluiceProcess server, string id, string status) =>
        WaitForAsync(server, id, r => (string?)r["status"] == status);

    private static async Task<JsonNode> WaitForAsync(SluiceProcess server, string id, Func<JsonNode, bool> wanted)
    {
        JsonNode? last = null;
        for (var i = 0; i < 1_200; i++)
        {
            last = JsonNode.Parse(await server.Admin.GetStringAsync($"/api/v1/regulations/{id}"))!;
            if (wanted(last))
            {
                return last;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"the regulation did not reach the expected state; last: {last?.ToJsonString()}");
    }

    private static async Task PostAsync(SluiceProcess server, string items)
    {
        using var response = await TrackAsync(server, "/v1/batch", $$"""{"batch":[{{items}}]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<HttpResponseMessage> TrackAsync(SluiceProcess server, string path, string body)
    {
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":")));
        return await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
    }
}
