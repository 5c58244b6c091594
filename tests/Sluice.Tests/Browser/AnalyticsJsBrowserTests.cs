using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Sluice.Infrastructure;
using Sluice.Storage.Sqlite;

namespace Sluice.Browser;

/// <summary>
/// A website on another origin loads Segment's own analytics.js from Sluice with Segment's official
/// snippet, changed only in its host, in Debian's headless Chromium: its calls arrive stored as the
/// library sent them, and reach a destination.
/// </summary>
public sealed class AnalyticsJsBrowserTests : IAsyncLifetime
{
    private RecordingServer _hook = null!;
    private InProcessServer _sluice = null!;
    private WebApplication _site = null!;
    private string _siteUrl = null!;
    private HeadlessChromium _chromium = null!;

    public async Task InitializeAsync()
    {
        _hook = await RecordingServer.StartAsync();
        _sluice = await InProcessServer.StartAsync(workspaceYaml: TestWorkspace.TrackWebhookYaml(InProcessServer.WriteKey, "hook", _hook.BaseUrl + "/in"));
        var host = new Uri(_sluice.BaseUrl).Authority;
        var pages = new Dictionary<string, string>
        {
            ["/"] = await SegmentSnippet.ForAsync(host, InProcessServer.WriteKey),
            ["/unknown-key"] = await SegmentSnippet.ForAsync(host, "wk_nobody"),
            ["/batching"] = await SegmentSnippet.ForAsync(host, InProcessServer.WriteKey, """{"integrations":{"Segment.io":{"deliveryStrategy":{"strategy":"batching","config":{"size":3,"timeout":200}}}}}"""),
        };

        // The website: another origin (another port), serving a page with the snippet and nothing else.
        // No watcher on the content root (nothing reads settings files here): it would take an inotify instance and read every write under the working directory, a store's WAL included.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _site = builder.Build();
        _site.Run(context => pages.TryGetValue(context.Request.Path, out var snippet)
            ? context.Response.WriteAsync($"<!doctype html><html><head><title>Shop</title><script>{snippet}</script></head><body><h1>Shop</h1></body></html>")
            : Task.FromResult(context.Response.StatusCode = 404));
        await _site.StartAsync();
        _siteUrl = _site.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _chromium = await HeadlessChromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _site.DisposeAsync();
        await _sluice.DisposeAsync();
        await _hook.DisposeAsync();
    }

    [Fact]
    public async Task Page_identify_track_and_group_from_another_origin_arrive_as_the_library_sent_them()
    {
        var page = await _chromium.Browser.NewPageAsync();
        var failed = new List<string>();
        page.RequestFailed += (_, request) => failed.Add($"{request.Method} {request.Url}: {request.Failure}");
        var sent = new List<JsonObject>();
        page.Request += (_, request) =>
        {
            if (request.Method == "POST" && request.Url.StartsWith(_sluice.BaseUrl + "/v1/", StringComparison.Ordinal) && request.PostData is { } body)
            {
                lock (sent)
                {
                    sent.Add(JsonNode.Parse(body)!.AsObject());
                }
            }
        };
        await page.GotoAsync(_siteUrl + "/");

        await page.EvaluateAsync("""
            () => new Promise((resolve) => window.analytics.ready(async () => {
              await window.analytics.page();
              await window.analytics.identify('u1', { email: 'ada@example.com' });
              await window.analytics.track('Clicked', { n: 1 });
              await window.analytics.group('g1', { plan: 'pro' });
              resolve();
            }))
            """);
        var stored = await WaitForEventsAsync(4);
        for (var i = 0; i < 100 && sent.Count < 4; i++)
        {
            await Task.Delay(50);
        }

        Assert.Empty(failed);
        Assert.Equal(["page", "identify", "track", "group"], stored.Select(e => (string?)e["type"]).Reverse());
        foreach (var posted in sent)
        {
            var kept = stored.Single(e => (string?)e["messageId"] == (string?)posted["messageId"]);
            Assert.StartsWith("ajs-next-", (string?)kept["messageId"]);
            Assert.Equal((string?)posted["anonymousId"], (string?)kept["anonymousId"]);
            Assert.Equal(posted["properties"]?.ToJsonString(), kept["properties"]?.ToJsonString());
            Assert.Equal(posted["context"]!["page"]!.ToJsonString(), kept["context"]!["page"]!.ToJsonString());
            Assert.Equal((string?)posted["context"]!["userAgent"], (string?)kept["context"]!["userAgent"]);
            Assert.Equal("analytics.js", (string?)kept["context"]!["library"]!["name"]);
            Assert.Equal($"next-{LibraryEndpoints.Version}", (string?)kept["context"]!["library"]!["version"]);
            Assert.Equal("127.0.0.1", (string?)kept["context"]!["ip"]);
            Assert.NotNull(kept["receivedAt"]);
            Assert.Null(kept["writeKey"]);
        }

        Assert.Equal(4, sent.Count);
        Assert.Equal(_siteUrl + "/", (string?)stored[0]["context"]!["page"]!["url"]);
        Assert.Equal("u1", (string?)stored.Single(e => (string?)e["type"] == "track")["userId"]);
        // Through a mapping to a destination, end to end.
        var delivered = await _hook.WaitUntilAsync(r => r.Count >= 1);
        Assert.Equal("Clicked", (string?)JsonNode.Parse(delivered.Single().Body)!["event"]);
    }

    [Fact]
    public async Task The_web_apps_debugger_shows_a_pages_calls_as_they_arrive()
    {
        var debugger = await _chromium.Browser.NewPageAsync();
        await debugger.GotoAsync(_sluice.BaseUrl + "/#/sources/web");
        await debugger.FillAsync("#token", SluiceProcess.AdminToken);
        await debugger.ClickAsync("button[type=submit]");
        await debugger.WaitForSelectorAsync("[role=status]:text('Live.')");
        var site = await _chromium.Browser.NewPageAsync();
        await site.GotoAsync(_siteUrl + "/");

        await site.EvaluateAsync("() => new Promise((resolve) => window.analytics.ready(() => { window.analytics.track('Added To Cart', { sku: 'b-1' }); resolve(); }))");

        await debugger.WaitForSelectorAsync("#live-events summary:has-text('Added To Cart')");
        await debugger.ClickAsync("#live-events summary:has-text('Added To Cart')");
        Assert.Contains("\"name\": \"analytics.js\"", await debugger.TextContentAsync("#live-events details:has(summary:has-text('Added To Cart')) pre"));
    }

    [Fact]
    public async Task In_batching_mode_the_library_posts_one_batch_to_v1_b_and_every_event_is_stored()
    {
        var page = await _chromium.Browser.NewPageAsync();
        var batches = new List<JsonObject>();
        page.Request += (_, request) =>
        {
            if (request.Method == "POST" && request.Url == _sluice.BaseUrl + "/v1/b")
            {
                lock (batches)
                {
                    batches.Add(JsonNode.Parse(request.PostData!)!.AsObject());
                }
            }
        };
        await page.GotoAsync(_siteUrl + "/batching");

        await page.EvaluateAsync("""
            () => new Promise((resolve) => window.analytics.ready(() => {
              window.analytics.track('One'); window.analytics.track('Two'); window.analytics.track('Three');
              resolve();
            }))
            """);
        var stored = await WaitForEventsAsync(3);
        // Playwright reports requests asynchronously: the store can be ahead of the event.
        for (var i = 0; i < 100 && batches.Count == 0; i++)
        {
            await Task.Delay(50);
        }

        var batch = Assert.Single(batches);
        Assert.Equal(InProcessServer.WriteKey, (string?)batch["writeKey"]);
        Assert.Equal(3, batch["batch"]!.AsArray().Count);
        Assert.Equal(["One", "Two", "Three"], stored.Select(e => (string?)e["event"]).Reverse());
    }

    [Fact]
    public async Task An_answer_lost_on_the_way_back_is_retried_by_the_library_and_the_event_is_stored_once()
    {
        var page = await _chromium.Browser.NewPageAsync();
        var lost = 0;
        // The first track reaches Sluice and is stored, but its answer never reaches the page (a network drop).
        await page.RouteAsync(_sluice.BaseUrl + "/v1/t", async route =>
        {
            if (Interlocked.Increment(ref lost) == 1)
            {
                await route.FetchAsync();
                await route.AbortAsync("connectionreset");
                return;
            }

            await route.ContinueAsync();
        });
        await page.GotoAsync(_siteUrl + "/");

        await page.EvaluateAsync("() => new Promise((resolve) => window.analytics.ready(() => { window.analytics.track('Once'); resolve(); }))");
        for (var i = 0; i < 200 && lost < 2; i++)
        {
            await Task.Delay(50);
        }

        await Task.Delay(500);
        var stored = await WaitForEventsAsync(1);

        Assert.True(lost >= 2, "the library did not retry");
        Assert.Single(stored, e => (string?)e["event"] == "Once");
    }

    [Fact]
    public async Task When_Sluice_answers_503_once_the_library_retries_and_the_event_is_stored_once()
    {
        var page = await _chromium.Browser.NewPageAsync();
        var statuses = new List<int>();
        await page.RouteAsync(_sluice.BaseUrl + "/v1/t", async route =>
        {
            var refuse = statuses.Count == 0;
            if (refuse)
            {
                // The store refuses the first commit (a real SQLite error inside Sluice's group commit), so the 503 is Sluice's own.
                ExecuteOnStore("CREATE TRIGGER refuse_commit BEFORE INSERT ON event_log BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
            }

            var answer = await route.FetchAsync();
            if (refuse)
            {
                ExecuteOnStore("DROP TRIGGER refuse_commit");
            }

            lock (statuses)
            {
                statuses.Add(answer.Status);
            }

            await route.FulfillAsync(new RouteFulfillOptions { Response = answer });
        });
        await page.GotoAsync(_siteUrl + "/");

        await page.EvaluateAsync("() => new Promise((resolve) => window.analytics.ready(() => { window.analytics.track('Retried'); resolve(); }))");
        for (var i = 0; i < 200 && statuses.Count < 2; i++)
        {
            await Task.Delay(50);
        }

        var stored = await WaitForEventsAsync(1);
        await Task.Delay(500);

        Assert.Equal([503, 200], statuses);
        Assert.Single(await _sluice.EventsAsync(), e => (string?)e!["event"] == "Retried");
        Assert.Equal("Retried", (string?)Assert.Single(stored)["event"]);
    }

    [Fact]
    public async Task With_an_unknown_write_key_the_settings_are_404_and_the_library_says_so_on_the_page()
    {
        var page = await _chromium.Browser.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) => console.Add(message.Text);
        var settings = page.WaitForResponseAsync(r => r.Url.Contains("/v1/projects/wk_nobody/settings", StringComparison.Ordinal));

        await page.GotoAsync(_siteUrl + "/unknown-key");
        var answer = await settings;
        for (var i = 0; i < 100 && !console.Any(m => m.Contains("Failed to load Analytics.js", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(404, answer.Status);
        Assert.Contains(console, m => m.StartsWith("[analytics.js] Failed to load Analytics.js", StringComparison.Ordinal));
        Assert.Equal("Shop", await page.TextContentAsync("h1"));
    }

    private void ExecuteOnStore(string sql)
    {
        using var connection = new SqliteDatabase(_sluice.DataDirectory, SqliteDurability.Normal).Open();
        SqliteDatabase.Execute(connection, sql);
    }

    private async Task<List<JsonNode>> WaitForEventsAsync(int count)
    {
        for (var i = 0; i < 200; i++)
        {
            var events = (await _sluice.EventsAsync()).Select(e => e!).ToList();
            if (events.Count >= count)
            {
                return events;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"fewer than {count} events were stored");
    }
}
