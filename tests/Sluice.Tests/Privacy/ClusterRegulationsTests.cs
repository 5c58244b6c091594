using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using Sluice.Hosting;
using Sluice.Infrastructure;
using Sluice.Workspace;

namespace Sluice.Privacy;

/// <summary>
/// Two nodes on one PostgreSQL store: a suppression made through one is in force on the other once it has
/// heard of it (the workspace's announcement), and a deletion made through one erases what the other stored.
/// </summary>
public sealed class ClusterRegulationsTests : IAsyncLifetime
{
    private InProcessServer _a = null!;
    private InProcessServer _b = null!;

    public async Task InitializeAsync()
    {
        var database = PostgresServer.NewDatabase();
        _a = await InProcessServer.StartAsync(o => o with { Store = StoreKind.Postgres, PostgresConnection = database }, workspaceYaml: Yaml);
        _b = await InProcessServer.StartAsync(o => o with { Store = StoreKind.Postgres, PostgresConnection = database }, workspaceYaml: Yaml);
    }

    private static string Yaml => $$"""
        sources:
          - {id: web, writeKey: {{InProcessServer.WriteKey}}}
        identity: {}
        """;

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
    }

    [Fact]
    public async Task A_suppression_made_on_one_node_keeps_the_others_from_storing_and_a_deletion_erases_what_the_other_stored()
    {
        (await _b.PostAsync("/v1/track", """{"userId":"two-nodes-gone","event":"Stored on B","messageId":"b-gone-1"}""")).EnsureSuccessStatusCode();
        (await _b.PostAsync("/v1/track", """{"userId":"two-nodes-kept","event":"Stored on B","messageId":"b-kept-1"}""")).EnsureSuccessStatusCode();
        await WaitAsync(async () => (await _a.Admin.GetAsync("/api/v1/profiles/user_id:two-nodes-gone")).IsSuccessStatusCode);

        using var made = await _a.Admin.PostAsJsonAsync("/api/v1/regulations", new { regulationType = "SUPPRESS_WITH_DELETE", subjectType = "USER_ID", subjectIds = new[] { "two-nodes-gone" } });
        var id = (string)JsonNode.Parse(await made.Content.ReadAsStringAsync())!["id"]!;

        // B hears of the suppression through the store's announcement; once it has, it stores nothing of the subject.
        var suppressedOnB = _b.Services.GetRequiredService<SuppressedSubjects>();
        await WaitAsync(() => Task.FromResult(suppressedOnB.Count == 1));
        (await _b.PostAsync("/v1/track", """{"userId":"two-nodes-gone","event":"After","messageId":"b-gone-2"}""")).EnsureSuccessStatusCode();
        (await _b.PostAsync("/v1/track", """{"userId":"two-nodes-kept","event":"After","messageId":"b-kept-2"}""")).EnsureSuccessStatusCode();

        await WaitAsync(async () => (string?)JsonNode.Parse(await _b.Admin.GetStringAsync($"/api/v1/regulations/{id}"))!["status"] == "FINISHED");
        var events = JsonNode.Parse(await _a.Admin.GetStringAsync("/api/v1/sources/web/events"))!["events"]!.AsArray().Select(e => (string?)e!["messageId"]).ToList();
        Assert.Equal(["b-kept-1", "b-kept-2"], events.Order());
        Assert.False((await _b.Admin.GetAsync("/api/v1/profiles/user_id:two-nodes-gone")).IsSuccessStatusCode);
    }

    private static async Task WaitAsync(Func<Task<bool>> done)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await done())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the condition did not hold within 30 s");
    }
}
