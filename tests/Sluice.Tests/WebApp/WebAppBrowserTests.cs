using Microsoft.Playwright;
using Sluice.Infrastructure;

namespace Sluice.WebApp;

/// <summary>
/// The web app in Debian's headless Chromium, driven by Playwright, against a running server:
/// sign in, browse the catalog, watch events arrive in the debugger, and replay a failure from
/// the delivery overview. Screenshots go to <c>screenshots/</c> next to the test binaries.
/// </summary>
public sealed class WebAppBrowserTests : IAsyncLifetime
{
    private RecordingServer _receiver = null!;
    private InProcessServer _sluice = null!;
    private HeadlessChromium _chromium = null!;

    private static string Screenshots => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        _receiver = await RecordingServer.StartAsync();
        _sluice = await InProcessServer.StartAsync(workspaceYaml: $$"""
            sources:
              - {id: web, name: Website, writeKey: {{InProcessServer.WriteKey}} }
            destinations:
              - id: hook
                name: Order hook
                type: webhook
                sources: [web]
                mappings:
                  - {name: Orders, action: send, trigger: 'type = "track"', mapping: {url: '{{_receiver.BaseUrl}}/orders', method: POST} }
            """);
        _chromium = await HeadlessChromium.LaunchAsync();
        Directory.CreateDirectory(Screenshots);
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _sluice.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private async Task<IPage> SignedInAsync(string token = SluiceProcess.AdminToken, int width = 1200, InProcessServer? sluice = null)
    {
        var page = await _chromium.Browser.NewPageAsync(new() { ViewportSize = new() { Width = width, Height = 900 } });
        await page.GotoAsync((sluice ?? _sluice).BaseUrl);
        await page.FillAsync("#token", token);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("h1:text('Destinations')");
        return page;
    }

    private async Task<string> MintAsync(string role)
    {
        var minted = await _sluice.Admin.PostAsync("/api/v1/tokens", new StringContent($$"""{"name":"{{role}} in the browser","role":"{{role}}"}"""));
        return (string)System.Text.Json.Nodes.JsonNode.Parse(await minted.Content.ReadAsStringAsync())!["token"]!;
    }

    /// <summary>An API destination (the file's are read-only in the app) with one mapping, Orders.</summary>
    private async Task ApiHookAsync(string id)
    {
        var body = $$$"""{"id":"{{{id}}}","type":"webhook","sources":["web"],"mappings":[{"name":"Orders","action":"send","trigger":"type = \"track\"","mapping":{"url":"{{{_receiver.BaseUrl}}}/api","method":"POST"}}]}""";
        (await _sluice.Admin.PostAsync("/api/v1/destinations", new StringContent(body))).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Why_deliveries_are_retrying_is_on_the_destination_page_and_the_list_counts_them()
    {
        // Every answer fails from the start: a retry due before the page is read must not be delivered.
        _receiver.Always = new ScriptedAnswer(503, "maintenance until noon");
        await _sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Order Completed","messageId":"ui-retry"}""");
        await DeliveryLog.WaitForAsync(_sluice.Admin, "hook", "ui-retry", DeliveryLog.Status("retrying"));
        var page = await SignedInAsync();

        Assert.Equal("1", (await page.TextContentAsync("tr:has-text('Order hook') >> td:nth-child(4)"))?.Trim());
        await page.ClickAsync("text=Order hook");
        await page.WaitForSelectorAsync("#deliveries td.reason:has-text('HTTP 503')");
        Assert.Equal("retrying", await page.InputValueAsync("#delivery-status"));
        Assert.True(await page.IsVisibleAsync("#deliveries code:text('maintenance until noon')"));
        Assert.True(await page.IsVisibleAsync("#deliveries p:has-text('next attempt')"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "destination-retrying.png"), FullPage = true });
        _receiver.Always = null;
    }

    [Fact]
    public async Task A_read_only_user_sees_mappings_and_settings_without_controls_they_cannot_use()
    {
        var page = await SignedInAsync(await MintAsync("read-only"));

        Assert.Equal("signed in as read-only", await page.TextContentAsync("#whoami"));
        await page.ClickAsync("text=Order hook");
        await page.ClickAsync("a:text('Orders')");
        await page.WaitForSelectorAsync("#read-only-note:has-text('Read only')");
        Assert.Equal(0, await page.Locator("#save-mapping, #delete-mapping, #test-mapping").CountAsync());
        Assert.True(await page.IsDisabledAsync("#mapping-trigger"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "mapping-read-only.png"), FullPage = true });

        await page.GotoAsync(_sluice.BaseUrl + "/#/catalog/webhook/add");
        await page.WaitForSelectorAsync("text=Adding a destination needs a member's or an owner's token");
        Assert.Equal(0, await page.Locator("#save-destination").CountAsync());
    }

    [Fact]
    public async Task At_390_pixels_the_mapping_editor_and_the_sources_keep_every_control_on_screen()
    {
        await ApiHookAsync("narrow-hook");
        var page = await SignedInAsync(width: 390);
        await page.GotoAsync(_sluice.BaseUrl + "/#/destinations/narrow-hook/mappings/Orders");
        await page.WaitForSelectorAsync("#field-url");

        foreach (var control in await page.Locator("main input:visible, main select:visible, main button:visible").AllAsync())
        {
            var box = await control.BoundingBoxAsync();
            Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= 390, $"a control at x={box?.X} width={box?.Width} is off a 390 px screen");
        }

        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "mapping-390px.png"), FullPage = true });
        await page.GotoAsync(_sluice.BaseUrl + "/#/sources");
        await page.WaitForSelectorAsync("h1:text('Sources')");
        var copy = await page.Locator("button:has-text('Copy')").First.BoundingBoxAsync();
        Assert.True(copy!.X + copy.Width <= 390);
    }

    [Fact]
    public async Task Testing_a_mapping_replaces_the_previous_result_and_Enter_does_not_save()
    {
        await ApiHookAsync("enter-hook");
        var page = await SignedInAsync();
        await page.GotoAsync(_sluice.BaseUrl + "/#/destinations/enter-hook/mappings/Orders");
        await page.WaitForSelectorAsync("#mapping-trigger:enabled");

        await page.FillAsync("#mapping-trigger", "type = \"identify\"");
        await page.Keyboard.PressAsync("Enter");
        await page.ClickAsync("#test-mapping");
        await page.WaitForSelectorAsync("#test-result:has-text('does not match')");
        await page.FillAsync("#mapping-trigger", "type = ");
        await page.ClickAsync("#test-mapping");
        await page.WaitForSelectorAsync("#mapping-trigger-error:has-text('position')");

        Assert.Equal("", (await page.TextContentAsync("#test-result"))?.Trim());
        Assert.Equal("type = \"track\"", (string?)System.Text.Json.Nodes.JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/destinations/enter-hook"))!["mappings"]![0]!["trigger"]);
    }

    [Fact]
    public async Task A_deep_link_survives_signing_in_and_a_revoked_token_is_told_why_it_was_signed_out()
    {
        var token = await MintAsync("workspace-member");
        var page = await _chromium.Browser.NewPageAsync();
        await page.GotoAsync(_sluice.BaseUrl + "/#/sources");
        await page.FillAsync("#token", token);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("h1:text('Sources')");

        var id = (string)System.Text.Json.Nodes.JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/tokens"))!["tokens"]!.AsArray().Last(t => (string?)t!["role"] == "workspace-member")!["id"]!;
        (await _sluice.Admin.DeleteAsync($"/api/v1/tokens/{id}")).EnsureSuccessStatusCode();
        await page.ClickAsync("nav >> text=Destinations");

        await page.WaitForSelectorAsync("#signin-reason:has-text('no longer accepted')");
        await page.FillAsync("#token", SluiceProcess.AdminToken);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("h1:text('Destinations')");
    }

    [Fact]
    public async Task The_debugger_opens_on_stored_events_filters_them_and_reconnects_after_a_restart()
    {
        var data = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var first = await InProcessServer.StartAsync(o => o with { Urls = url, DataDirectory = data });
        await first.PostAsync("/v1/track", """{"userId":"ada","event":"Stored Before","messageId":"before-1"}""");
        await first.PostAsync("/v1/identify", """{"userId":"ada","messageId":"before-2"}""");
        var page = await SignedInAsync(sluice: first);
        await page.GotoAsync(url + "/#/sources/web");

        await page.WaitForSelectorAsync("#live-events summary:has-text('Stored Before')");
        await page.ClickAsync("#install summary");
        Assert.Contains($"{url}/analytics.js/v1/", await page.TextContentAsync("#snippet"));
        Assert.Contains($"analytics.load(\"{InProcessServer.WriteKey}\")", await page.TextContentAsync("#snippet"));
        await page.SelectOptionAsync("#filter-type", "identify");
        Assert.True(await page.IsHiddenAsync("#live-events summary:has-text('Stored Before')"));
        await page.SelectOptionAsync("#filter-type", "");
        await page.FillAsync("#filter-event", "stored");
        Assert.Equal(1, await page.Locator("#live-events details:visible").CountAsync());
        await page.FillAsync("#filter-event", "");
        await page.WaitForSelectorAsync("[role=status]:text('Live.')");

        await first.DisposeAsync();
        await page.WaitForSelectorAsync("[role=status]:has-text('Reconnecting')");
        Assert.True(await page.IsDisabledAsync("#pause"));
        await using var second = await InProcessServer.StartAsync(o => o with { Urls = url, DataDirectory = data });
        await page.WaitForSelectorAsync("[role=status]:text('Live.')", new() { Timeout = 30_000 });
        await second.PostAsync("/v1/track", """{"userId":"ada","event":"After Restart","messageId":"after-1"}""");

        await page.WaitForSelectorAsync("#live-events summary:has-text('After Restart')");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "debugger-reconnected.png"), FullPage = true });
        Assert.Equal(1, await page.Locator("#live-events summary:has-text('Stored Before')").CountAsync());
    }

    [Fact]
    public async Task A_source_made_through_the_API_has_its_allowed_websites_changed_in_the_app_and_the_file_s_are_shown_read_only()
    {
        (await _sluice.Admin.PostAsync("/api/v1/sources", new StringContent("""{"id":"shop","name":"Shop"}"""))).EnsureSuccessStatusCode();
        var page = await SignedInAsync();
        await page.GotoAsync(_sluice.BaseUrl + "/#/sources/shop");
        await page.ClickAsync("#origins summary");
        await page.WaitForSelectorAsync("#allowed-origins:has-text('any website')");

        await page.FillAsync("#origins-list", "https://shop.example\nshop.example/cart");
        await page.ClickAsync("#save-origins");
        await page.WaitForSelectorAsync("#origins-list-error:has-text('is not an origin')");
        await page.FillAsync("#origins-list", "https://shop.example\nhttp://localhost:3000");
        await page.ClickAsync("#save-origins");

        await page.WaitForSelectorAsync("[role=status]:has-text('only from https://shop.example, http://localhost:3000')");
        var stored = System.Text.Json.Nodes.JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/sources/shop"))!;
        Assert.Equal(["https://shop.example", "http://localhost:3000"], stored["allowedOrigins"]!.AsArray().Select(o => (string?)o));
        await page.ClickAsync("#origins summary");
        await page.FillAsync("#origins-list", "");
        await page.ClickAsync("#save-origins");
        await page.WaitForSelectorAsync("[role=status]:has-text('from any website')");
        Assert.Null(System.Text.Json.Nodes.JsonNode.Parse(await _sluice.Admin.GetStringAsync("/api/v1/sources/shop"))!["allowedOrigins"]);

        await page.GotoAsync(_sluice.BaseUrl + "/#/sources/web");
        await page.ClickAsync("#origins summary");
        await page.WaitForSelectorAsync("#origins:has-text('Set in the workspace file')");
        Assert.Equal(0, await page.Locator("#origins-list").CountAsync());
    }

    [Fact]
    public async Task A_wrong_token_is_refused_next_to_the_field()
    {
        var page = await _chromium.Browser.NewPageAsync();
        await page.GotoAsync(_sluice.BaseUrl);
        await page.FillAsync("#token", "sl_owner_not-a-token");
        await page.Keyboard.PressAsync("Enter");

        await page.WaitForSelectorAsync("#token-error:text('This token is not valid.')");
        Assert.True(await page.IsHiddenAsync("#nav"));
    }

    [Fact]
    public async Task The_catalog_shows_a_destination_with_its_actions_and_presets()
    {
        var page = await SignedInAsync();

        await page.ClickAsync("nav >> text=Catalog");
        await page.FillAsync("#catalog-search", "fullstory");
        await page.ClickAsync("text=Fullstory Cloud Mode (Actions)");
        await page.WaitForSelectorAsync("h1:text('Fullstory Cloud Mode (Actions)')");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "catalog-fullstory.png"), FullPage = true });

        Assert.True(await page.IsVisibleAsync("td:text('Track Event')"));
        Assert.True(await page.IsVisibleAsync("h3:text('Identify User V2 (identifyUserV2)')"));
        Assert.True(await page.IsVisibleAsync("td:text('password (secret)')"));
    }

    [Fact]
    public async Task Events_appear_in_the_debugger_as_they_arrive_and_pause_holds_them()
    {
        var page = await SignedInAsync();
        await page.ClickAsync("nav >> text=Sources");
        await page.ClickAsync("text=Website");
        await page.WaitForSelectorAsync("[role=status]:text('Live.')");

        // Segment's official Node client sends a run of every call type; the debugger shows them as they are stored.
        await OfficialClient.SendAsync("segment", _sluice.BaseUrl, InProcessServer.WriteKey);
        await page.WaitForSelectorAsync("#live-events summary:has-text('Anonymous Event')");
        await _sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Order Completed","messageId":"ui-1","properties":{"total":42}}""");
        await page.WaitForSelectorAsync("#live-events summary:has-text('Order Completed')");
        await page.ClickAsync("#pause");
        await _sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Held While Paused","messageId":"ui-2"}""");
        await Task.Delay(500);
        Assert.Equal(0, await page.Locator("#live-events summary:has-text('Held While Paused')").CountAsync());
        await page.ClickAsync("#live-events summary:has-text('Order Completed')");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "debugger.png"), FullPage = true });
        await page.ClickAsync("#pause");

        await page.WaitForSelectorAsync("#live-events summary:has-text('Held While Paused')");
        Assert.Contains("\"total\": 42", await page.TextContentAsync("#live-events details:has(summary:has-text('Order Completed')) pre"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failure_shows_the_services_answer_and_replay_delivers_it()
    {
        _receiver.AnswerNext(new ScriptedAnswer(400, """{"error":"unknown order"}"""));
        await _sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Order Completed","messageId":"ui-fail"}""");
        await DeliveryLog.WaitForAsync(_sluice.Admin, "hook", "ui-fail", DeliveryLog.Status("failed"));
        var page = await SignedInAsync();

        await page.ClickAsync("text=Order hook");
        await page.WaitForSelectorAsync("td:has-text('unknown order')");
        await page.ClickAsync("#replay");
        await page.WaitForSelectorAsync("[role=status]:has-text('Replay done: 1 sent again')");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "delivery-overview.png"), FullPage = true });

        await DeliveryLog.WaitForAsync(_sluice.Admin, "hook", "ui-fail", DeliveryLog.Status("delivered"));
        Assert.Equal(2, _receiver.Received.Count);
    }

    [Fact]
    public async Task A_FullStory_destination_is_added_from_the_catalog_and_a_mapping_written_tested_and_saved()
    {
        await using var fullStory = await RecordingServer.StartAsync();
        var page = await SignedInAsync();

        await page.ClickAsync("nav >> text=Catalog");
        await page.ClickAsync("text=Fullstory Cloud Mode (Actions)");
        await page.ClickAsync("#add-destination");
        await page.FillAsync("#destination-id", "fullstory");
        await page.ClickAsync("#save-destination");
        await page.WaitForSelectorAsync("[data-field='settings']:has-text('needs the setting')");
        await page.FillAsync("#setting-apiKey", "fs-key-from-the-browser");
        await page.FillAsync("#setting-baseUrl", fullStory.BaseUrl);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "add-destination.png"), FullPage = true });
        await page.ClickAsync("#save-destination");
        await page.WaitForSelectorAsync("[role=status]:has-text('Credentials are valid')");
        Assert.True(await page.IsVisibleAsync("td:text('Track Event')"));

        await page.ClickAsync("#add-mapping");
        await page.FillAsync("#mapping-name", "Orders V1");
        await page.SelectOptionAsync("#mapping-action", "trackEvent");
        await page.FillAsync("#mapping-trigger", "type = ");
        await page.ClickAsync("#test-mapping");
        await page.WaitForSelectorAsync("#mapping-trigger-error:has-text('position')");
        await page.FillAsync("#mapping-trigger", "type = \"track\" and event = \"Order Completed\"");
        await page.ClickAsync("#test-mapping");
        await page.WaitForSelectorAsync("#test-result pre:has-text('customevent?integration=segment')");
        Assert.Contains("Basic ••••••••", await page.TextContentAsync("#test-result pre"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "mapping-editor.png"), FullPage = true });
        await page.ClickAsync("#save-mapping");
        await page.WaitForSelectorAsync("[role=status]:has-text('Mapping “Orders V1” saved.')");

        await _sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Order Completed","messageId":"ui-fs","properties":{"total":42}}""");
        await fullStory.WaitUntilAsync(r => r.Any(x => x.Path.Contains("/customevent", StringComparison.Ordinal)));
        Assert.Contains(fullStory.Received, r => r.Path == "/v2/events");
        Assert.Equal("Basic fs-key-from-the-browser", fullStory.Received.Last().Headers["Authorization"]);

        // A masked key is not carried to a new base URL: the form asks for it next to its field, then saves.
        await page.ClickAsync("#edit-settings");
        Assert.Equal("••••••••", await page.InputValueAsync("#setting-apiKey"));
        await page.FillAsync("#setting-baseUrl", fullStory.BaseUrl + "/eu");
        await page.ClickAsync("#save-settings");
        await page.WaitForSelectorAsync("#setting-apiKey-error:has-text('send this secret again')");
        await page.FillAsync("#setting-apiKey", "fs-key-from-the-browser");
        await page.ClickAsync("#save-settings");
        await page.WaitForSelectorAsync("[role=status]:has-text('Settings saved.')");
        await _sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Signed Up","messageId":"ui-fs-2"}""");
        await fullStory.WaitUntilAsync(r => r.Any(x => x.Path == "/eu/v2/events"));
        Assert.Equal("Basic fs-key-from-the-browser", fullStory.Received.Single(r => r.Path == "/eu/v2/events").Headers["Authorization"]);

        // A destination filter: a bad condition is refused next to its field, a good one drops what it selects.
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.ClickAsync("summary:text('Add a filter')");
        await page.FillAsync("#filter-name", "no tests");
        await page.FillAsync("#filter-if", "properties.test = ");
        await page.ClickAsync("#add-filter");
        await page.WaitForSelectorAsync("#filter-if-error:has-text('invalid FQL')");
        await page.FillAsync("#filter-if", "properties.test = true");
        await page.ClickAsync("#add-filter");
        await page.WaitForSelectorAsync("td:text('no tests')");
        await _sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Signed Up","messageId":"ui-test-event","properties":{"test":true}}""");
        var dropped = await DeliveryLog.WaitForAsync(_sluice.Admin, "fullstory", "ui-test-event");
        Assert.Equal(("filtered", "dropped by filter 'no tests'"), ((string?)dropped["status"], (string?)dropped["reason"]));
        await page.ClickAsync("button[aria-label='Remove the filter no tests']");
        await page.WaitForSelectorAsync("text=None: every event goes to the mappings.");

        // A mapping switched off stays off when saved; then it and the destination are deleted.
        await page.ClickAsync("a:text('Orders V1')");
        await page.UncheckAsync("#mapping-enabled");
        await page.ClickAsync("#save-mapping");
        await page.WaitForSelectorAsync("tr:has-text('Orders V1') >> td:text('disabled')");
        await page.ClickAsync("a:text('Orders V1')");
        await page.ClickAsync("#delete-mapping");
        await page.WaitForSelectorAsync("[role=status]:has-text('Mapping “Orders V1” deleted.')");
        await page.ClickAsync("#delete-destination");
        await page.WaitForSelectorAsync("h1:text('Destinations')");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await _sluice.Admin.GetAsync("/api/v1/destinations/fullstory")).StatusCode);
    }

    [Fact]
    public async Task A_profile_is_found_by_email_shows_why_two_people_merged_a_split_unmerges_them_and_an_unblock_takes_it_back()
    {
        await using var sluice = await TabletAsync();

        var page = await SignedInAsync(sluice: sluice);
        await page.ClickAsync("nav >> text=Profiles");
        await page.FillAsync("#profile-query", "ada@example.com");
        await page.ClickAsync("#search-profiles");
        await page.ClickAsync("#profile-results a");
        await page.WaitForSelectorAsync("#profile-log li[data-kind=merge]");
        var merge = await page.TextContentAsync("#profile-log li[data-kind=merge]");
        Assert.Contains("ui-p4", merge, StringComparison.Ordinal);
        Assert.Contains("email:bob@example.com", merge, StringComparison.Ordinal);
        Assert.Contains("anonymous_id:tablet", merge, StringComparison.Ordinal);
        Assert.True(await page.IsVisibleAsync("#timeline li:has-text('Checked Out')"));
        Assert.Equal(5, await page.Locator("#identifiers tr:has(td)").CountAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "profile-merged.png"), FullPage = true });

        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.ClickAsync("#profile-log li[data-kind=merge] button:text('Split')");
        Assert.Equal("anonymous_id:tablet", await page.InputValueAsync("#unmerge-identifier"));
        await page.ClickAsync("#unmerge-submit");
        await page.WaitForSelectorAsync("[role=status]:has-text('anonymous_id:tablet taken off and blocked')");
        await page.WaitForSelectorAsync("#profile-log li[data-kind=unmerge]");
        Assert.Equal(2, await page.Locator("#identifiers tr:has(td)").CountAsync());
        Assert.Equal(0, await page.Locator("#identifiers code:text('tablet')").CountAsync());
        Assert.True(await page.IsVisibleAsync("#profile-log li.undone[data-kind=merge]"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "profile-unmerged.png"), FullPage = true });

        await page.ClickAsync("nav >> text=Profiles");
        await page.FillAsync("#profile-query", "bob@example.com");
        await page.ClickAsync("#search-profiles");
        await page.WaitForSelectorAsync("#profile-results tr:has(td)");
        Assert.DoesNotContain("ada", await page.TextContentAsync("#profile-results"), StringComparison.Ordinal);

        // Taken back: unblocked on the Identity page, the tablet links the two again.
        await page.ClickAsync("nav >> text=Identity");
        await page.ClickAsync("button[aria-label='Unblock anonymous_id:tablet']");
        await page.WaitForSelectorAsync("[role=status]:has-text('anonymous_id:tablet unblocked')");
        await page.ClickAsync("nav >> text=Profiles");
        await page.FillAsync("#profile-query", "bob@example.com");
        await page.ClickAsync("#search-profiles");
        await page.WaitForSelectorAsync("#profile-results tr:has(td)");
        Assert.Contains("ada@example.com", await page.TextContentAsync("#profile-results"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blocked_value_is_previewed_then_saved_on_the_identity_page_and_splits_the_profile_it_merged()
    {
        await using var sluice = await TabletAsync();
        var page = await SignedInAsync(sluice: sluice);
        await page.ClickAsync("nav >> text=Identity");
        await page.WaitForSelectorAsync("#identity-managed:has-text('defaults')");
        await page.FillAsync("#blocked-values", (await page.InputValueAsync("#blocked-values")) + "\ntablet");
        await page.ClickAsync("#preview-identity");
        await page.WaitForSelectorAsync("#identity-preview:has-text('1 split')");
        Assert.Contains("Nothing is saved yet", await page.TextContentAsync("#identity-preview"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "identity-preview.png"), FullPage = true });

        await page.FillAsync("#rule-email-window", "soon");
        await page.ClickAsync("#save-identity");
        await page.WaitForSelectorAsync("[data-field='rules.email']:has-text('must be a duration')");
        await page.FillAsync("#rule-email-window", "");
        await page.ClickAsync("#save-identity");
        await page.WaitForSelectorAsync("[role=status]:has-text('Identity settings saved; 1 profile recomputed.')");
        Assert.Contains("tablet", await page.InputValueAsync("#blocked-values"), StringComparison.Ordinal);

        await page.ClickAsync("nav >> text=Profiles");
        await page.FillAsync("#profile-query", "bob@example.com");
        await page.ClickAsync("#search-profiles");
        await page.WaitForSelectorAsync("#profile-results tr:has(td)");
        Assert.DoesNotContain("ada", await page.TextContentAsync("#profile-results"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_audience_is_built_with_a_preview_connected_to_a_destination_and_its_members_arrive_there()
    {
        await using var receiver = await RecordingServer.StartAsync();
        await using var sluice = await InProcessServer.StartAsync(workspaceYaml: $$$"""
            sources:
              - {id: web, name: Website, writeKey: {{{InProcessServer.WriteKey}}} }
            destinations:
              - id: hook
                name: Member hook
                type: webhook
                sources: []
                mappings:
                  - name: Members
                    action: send
                    trigger: 'type = "identify"'
                    mapping: {url: '{{{receiver.BaseUrl}}}/members', method: POST, data: {'@path': '$.'}}
            identity: {}
            """);
        await sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Order Completed","messageId":"ui-o1","properties":{"total":20}}""");
        await sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Order Completed","messageId":"ui-o2","properties":{"total":35}}""");
        await sluice.PostAsync("/v1/track", """{"userId":"bob","event":"Order Completed","messageId":"ui-o3","properties":{"total":12}}""");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await (await sluice.Admin.GetAsync("/v1/spaces/default/collections/users/profiles/user_id:bob/events")).Content.ReadAsStringAsync()).Contains("ui-o3", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the profiles were not built within 30 s");
            await Task.Delay(100);
        }

        var page = await SignedInAsync(sluice: sluice);
        await page.ClickAsync("nav >> text=Audiences");
        await page.ClickAsync("#new-audience");
        await page.FillAsync("#engage-name", "Frequent buyers");
        await page.FillAsync("#engage-query", "event('Order Completed').count() >=");
        await page.ClickAsync("#save-engage");
        await page.WaitForSelectorAsync("[data-field='query']:has-text('expected a value')");
        await page.FillAsync("#engage-query", "event('Order Completed').count() >= 2");
        await page.ClickAsync("#preview-engage");
        await page.WaitForSelectorAsync("#preview-size:has-text('1 member')");
        Assert.Contains("of 2 profiles", await page.TextContentAsync("#engage-preview"), StringComparison.Ordinal);
        await page.CheckAsync("#connect-hook");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "audience-builder.png"), FullPage = true });
        await page.ClickAsync("#save-engage");

        await page.WaitForSelectorAsync("[role=status]:has-text('Frequent buyers saved')");
        await page.WaitForSelectorAsync("#engage-summary:has-text('frequent_buyers')");
        for (var reloads = 0; await page.Locator("#engage-members tr:has(td)").CountAsync() == 0; reloads++)
        {
            Assert.True(reloads < 100, "no member appeared on the audience's page");
            await Task.Delay(200);
            await page.ReloadAsync();
            await page.WaitForSelectorAsync("#engage-summary");
        }

        Assert.Equal(1, await page.Locator("#engage-members tr:has(td)").CountAsync());
        for (var waits = 0; !receiver.Received.Any(r => r.Body.Contains("\"frequent_buyers\":true", StringComparison.Ordinal)); waits++)
        {
            Assert.True(waits < 150, "the member did not reach the destination");
            await Task.Delay(100);
        }

        Assert.Contains("\"userId\":\"ada\"", receiver.Received.Single(r => r.Body.Contains("frequent_buyers", StringComparison.Ordinal)).Body, StringComparison.Ordinal);
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("#engage-syncs td:has-text('hook')");
        // Its history: the first sync, made once the past was computed, sent Ada.
        await page.WaitForSelectorAsync("#engage-sync-history td:has-text('first sync: 1 member')");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "audience-page.png"), FullPage = true });

        // Why Ada is in: her count, against the threshold.
        await page.ClickAsync("#engage-members a");
        await page.WaitForSelectorAsync("#profile-engage li[data-key=frequent_buyers]");
        var why = await page.TextContentAsync("#profile-engage li[data-key=frequent_buyers]");
        Assert.Contains("member", why, StringComparison.Ordinal);
        Assert.Contains("is 2, which is >= 2", why, StringComparison.Ordinal);

        // Ada's email is new to her profile: her membership is sent again, with it, and the audience's page says so.
        await sluice.PostAsync("/v1/identify", """{"userId":"ada","messageId":"ui-i1","traits":{"email":"ada@example.com"}}""");
        for (var waits = 0; !receiver.Received.Any(r => r.Body.Contains("ada@example.com", StringComparison.Ordinal) && r.Body.Contains("\"frequent_buyers\":true", StringComparison.Ordinal)); waits++)
        {
            Assert.True(waits < 150, "the membership was not sent again with the new email");
            await Task.Delay(100);
        }

        await page.GoBackAsync();
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("#engage-changes li:has-text('sent again: a new identifier')");
    }

    /// <summary>
    /// A server with profiles on, and a tablet at a shop counter: Ada signs in on it, then Bob, each also on
    /// a phone of their own, and the tablet checks out; returned once the profiles hold it all.
    /// </summary>
    private static async Task<InProcessServer> TabletAsync()
    {
        var sluice = await InProcessServer.StartAsync(workspaceYaml: $$"""
            sources:
              - {id: web, name: Website, writeKey: {{InProcessServer.WriteKey}} }
            identity: {}
            """);
        await sluice.PostAsync("/v1/identify", """{"anonymousId":"ada-phone","messageId":"ui-p1","traits":{"email":"ada@example.com","name":"Ada"}}""");
        await sluice.PostAsync("/v1/identify", """{"anonymousId":"bob-phone","messageId":"ui-p2","traits":{"email":"bob@example.com","name":"Bob"}}""");
        await sluice.PostAsync("/v1/identify", """{"anonymousId":"tablet","messageId":"ui-p3","traits":{"email":"ada@example.com"}}""");
        await sluice.PostAsync("/v1/identify", """{"anonymousId":"tablet","messageId":"ui-p4","traits":{"email":"bob@example.com"}}""");
        await sluice.PostAsync("/v1/track", """{"anonymousId":"tablet","event":"Checked Out","messageId":"ui-p5"}""");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        // The consumer takes events in log order: once the last is on the profile, all are.
        while (!(await (await sluice.Admin.GetAsync("/v1/spaces/default/collections/users/profiles/anonymous_id:tablet/events")).Content.ReadAsStringAsync()).Contains("ui-p5", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the profiles were not built within 30 s");
            await Task.Delay(100);
        }

        return sluice;
    }

    [Fact]
    public async Task A_deletion_is_requested_on_the_privacy_page_and_its_status_shows_per_destination_with_the_retention()
    {
        await using var fullStory = await RecordingServer.StartAsync();
        await using var sluice = await InProcessServer.StartAsync(workspaceYaml: $$$"""
            sources:
              - {id: web, name: Website, writeKey: {{{InProcessServer.WriteKey}}} }
            destinations:
              - id: fullstory
                type: actions-fullstory-cloud
                sources: [web]
                settings: {apiKey: fs-key, baseUrl: '{{{fullStory.BaseUrl}}}'}
            identity: {}
            """);
        await sluice.PostAsync("/v1/identify", """{"userId":"ui-erase-me","messageId":"ui-p1","traits":{"email":"ui-erase@example.com"}}""");
        var page = await SignedInAsync(sluice: sluice);
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.ClickAsync("nav >> text=Privacy");
        await page.WaitForSelectorAsync("h1:text('Privacy')");

        // A request without ids is refused next to the field.
        await page.ClickAsync("#make-regulation");
        await page.WaitForSelectorAsync("[data-field='subjectIds']:has-text('subjectIds is required')");
        await page.SelectOptionAsync("#regulation-type", "SUPPRESS_WITH_DELETE");
        await page.FillAsync("#subject-ids", "ui-erase-me");
        await page.ClickAsync("#make-regulation");
        await page.WaitForSelectorAsync("h1:has-text('Request reg_')");
        for (var reloads = 0; !(await page.TextContentAsync("main"))!.Contains("FINISHED", StringComparison.Ordinal); reloads++)
        {
            Assert.True(reloads < 100, "the deletion did not finish");
            await Task.Delay(200);
            await page.ReloadAsync();
            await page.WaitForSelectorAsync("#regulation-store");
        }

        Assert.Contains("erased", await page.TextContentAsync("#regulation-store"), StringComparison.Ordinal);
        var row = await page.TextContentAsync("#regulation-destinations");
        Assert.Contains("HTTP 200", row, StringComparison.Ordinal);
        Assert.Contains("deleted", row, StringComparison.Ordinal);
        Assert.Single(fullStory.Received, r => r.Method == "DELETE" && r.Path == "/v2/users?uid=ui-erase-me");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "privacy-request.png"), FullPage = true });

        // The list, the suppressed subject looked up by its id, and the retention changed.
        await page.ClickAsync("text=All requests");
        await page.WaitForSelectorAsync("#regulations:has-text('SUPPRESS_WITH_DELETE')");
        await page.FillAsync("#lookup-id", "ui-erase-me");
        await page.ClickAsync("text=Look up");
        await page.WaitForSelectorAsync("#lookup-answer:has-text('Suppressed since')");
        await page.ClickAsync("summary:text('Change the retention')");
        await page.FillAsync("#retention-events", "forever");
        await page.ClickAsync("#save-retention");
        await page.WaitForSelectorAsync("[data-field='events']:has-text('a duration such as')");
        await page.FillAsync("#retention-events", "30d");
        await page.FillAsync("#retention-sources", "web: 7d");
        await page.ClickAsync("#save-retention");
        await page.WaitForSelectorAsync("[role=status]:has-text('Retention saved')");
        Assert.Contains("Events of source web7d", await page.TextContentAsync("#retention"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "privacy.png"), FullPage = true });
    }
}
