using System.Text.Json.Nodes;
using Sluice.Infrastructure;
using Sluice.Workspace;

namespace Sluice.Destinations.TestOnly;

/// <summary>A destination that only the catalog names works through the workspace file, the Admin API and the web app.</summary>
public sealed class CatalogDestinationTests : IAsyncLifetime
{
    private RecordingServer _ledger = null!;

    public async Task InitializeAsync() => _ledger = await RecordingServer.StartAsync();

    public async Task DisposeAsync() => await _ledger.DisposeAsync();

    [Fact]
    public async Task Declared_in_the_workspace_file_its_preset_delivers_tracks()
    {
        await using var sluice = await InProcessServer.StartAsync(o => o with { Destinations = LedgerDestination.Catalog }, LedgerDestination.WorkspaceYaml(_ledger.BaseUrl));

        await sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Order Completed","messageId":"file-1"}""");

        var received = Assert.Single(await _ledger.WaitForAsync(1));
        Assert.Equal("/lines", received.Path);
        Assert.Equal("Bearer ledger-key", received.Headers["Authorization"]);
        Assert.Equal("""{"line":"Order Completed","user":"ada"}""", received.Body);
    }

    [Fact]
    public async Task Made_through_the_Admin_API_it_is_listed_checked_and_delivers()
    {
        await using var sluice = await InProcessServer.StartAsync(o => o with { Destinations = LedgerDestination.Catalog });

        var catalog = JsonNode.Parse(await sluice.Admin.GetStringAsync("/api/v1/catalog"))!;
        var missingKey = await sluice.Admin.PostAsync("/api/v1/destinations", new StringContent($$$"""{"id":"books","type":"test-ledger","sources":["web"],"settings":{"endpoint":"{{{_ledger.BaseUrl}}}"}}"""));
        var created = await sluice.Admin.PostAsync("/api/v1/destinations", new StringContent($$$"""{"id":"books","type":"test-ledger","sources":["web"],"settings":{"endpoint":"{{{_ledger.BaseUrl}}}","apiKey":"api-key"}}"""));
        await sluice.PostAsync("/v1/track", """{"userId":"bob","event":"Signed Up","messageId":"api-1"}""");

        Assert.Contains(catalog["destinations"]!.AsArray(), d => (string?)d!["slug"] == "test-ledger");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, missingKey.StatusCode);
        Assert.Contains("apiKey", await missingKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var received = Assert.Single(await _ledger.WaitForAsync(1));
        Assert.Equal("""{"line":"Signed Up","user":"bob"}""", received.Body);
    }

    [Fact]
    public async Task Added_from_the_web_apps_catalog_it_delivers()
    {
        await using var sluice = await InProcessServer.StartAsync(o => o with { Destinations = LedgerDestination.Catalog });
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(sluice.BaseUrl);
        await page.FillAsync("#token", SluiceProcess.AdminToken);
        await page.ClickAsync("button[type=submit]");

        await page.ClickAsync("nav >> text=Catalog");
        await page.ClickAsync("text=Ledger (test only)");
        await page.ClickAsync("#add-destination");
        await page.FillAsync("#destination-id", "books");
        await page.FillAsync("#setting-endpoint", _ledger.BaseUrl);
        await page.FillAsync("#setting-apiKey", "from-the-browser");
        await page.CheckAsync($"input[type=checkbox][value={InProcessServer.SourceId}]");
        await page.ClickAsync("#save-destination");
        await page.WaitForSelectorAsync("td:text('Record tracks')");
        await sluice.PostAsync("/v1/track", """{"userId":"cy","event":"Clicked","messageId":"app-1"}""");

        var received = Assert.Single(await _ledger.WaitForAsync(1));
        Assert.Equal("Bearer from-the-browser", received.Headers["Authorization"]);
    }

    [Fact]
    public void Without_the_catalog_entry_the_workspace_file_refuses_the_type_and_names_what_the_catalog_has()
    {
        const string yaml = "sources: [{id: web}]\ndestinations:\n  - {id: books, type: test-ledger, sources: [web]}\n";

        var refused = Assert.Throws<WorkspaceFileException>(() => WorkspaceFileLoader.Parse(yaml, "w.yaml"));
        var accepted = WorkspaceFileLoader.Parse(yaml.Replace("sources: [web]}", "sources: [web], settings: {endpoint: 'http://127.0.0.1:9', apiKey: k}}", StringComparison.Ordinal), "w.yaml", catalog: LedgerDestination.Catalog);

        Assert.Contains("unknown destination type 'test-ledger'; the catalog has: actions-fullstory-cloud, stitch-data, stories, webhook", refused.Message, StringComparison.Ordinal);
        Assert.Equal("test-ledger", Assert.Single(accepted.Destinations).Type);
    }
}
