using System.Net;
using System.Text.RegularExpressions;
using Sluice.Infrastructure;

namespace Sluice.WebApp;

/// <summary>The web app is served by the process itself: every asset it loads comes from the same origin (it works offline).</summary>
public sealed partial class WebAppServingTests : IAsyncLifetime
{
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync() => _sluice = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _sluice.DisposeAsync();

    [Fact]
    public async Task The_page_and_every_asset_it_references_are_served_locally_under_a_strict_policy()
    {
        var page = await _sluice.Http.GetAsync("/");
        var html = await page.Content.ReadAsStringAsync();
        var assets = AssetReference().Matches(html).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(["/app/app.css", "/app/app.js", "/app/favicon.svg"], assets.Order());
        foreach (var asset in assets)
        {
            var response = await _sluice.Http.GetAsync(asset);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // Examples shown to the user name RFC 2606's reserved .example domains, which can't serve anything.
            Assert.DoesNotContain("https://", ExampleOrigin().Replace(await response.Content.ReadAsStringAsync(), ""), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await _sluice.Http.GetAsync("/app/nothing.js")).StatusCode);
    }

    [GeneratedRegex(@"https://[a-z.]+\.example\b")]
    private static partial Regex ExampleOrigin();

    [GeneratedRegex("(?:src|href)=\"(/app/[^\"]+)\"")]
    private static partial Regex AssetReference();
}
