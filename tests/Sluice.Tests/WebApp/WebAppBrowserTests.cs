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
    private const string Chromium = "/usr/bin/chromium";
    private RecordingServer _receiver = null!;
    private InProcessServer _sluice = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    private static string Screenshots => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (.ci/run does)");
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
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
        Directory.CreateDirectory(Screenshots);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _sluice.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private async Task<IPage> SignedInAsync()
    {
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1200, Height = 900 } });
        await page.GotoAsync(_sluice.BaseUrl);
        await page.FillAsync("#token", SluiceProcess.AdminToken);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("h1:text('Destinations')");
        return page;
    }

    [Fact]
    public async Task A_wrong_token_is_refused_next_to_the_field()
    {
        var page = await _browser.NewPageAsync();
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
}
