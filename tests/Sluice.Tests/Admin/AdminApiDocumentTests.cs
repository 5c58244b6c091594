using System.Net;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Admin;

/// <summary>The Admin API describes itself (OpenAPI) and has a reference page served by the process, with no CDN.</summary>
public sealed class AdminApiDocumentTests : IAsyncLifetime
{
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync() => _sluice = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _sluice.DisposeAsync();

    [Fact]
    public async Task The_OpenAPI_document_lists_the_admin_endpoints_and_their_bearer_authentication()
    {
        var document = JsonNode.Parse(await _sluice.Http.GetStringAsync("/api/v1/openapi.json"))!;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();

        Assert.Equal("Sluice Admin API", (string?)document["info"]!["title"]);
        Assert.Contains("/api/v1/tokens", paths);
        Assert.Contains("/api/v1/catalog/{slug}", paths);
        Assert.Contains("/api/v1/destinations/{id}/replay", paths);
        Assert.Contains("/api/v1/mappings/test", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/v1/", StringComparison.Ordinal));
        Assert.Equal("bearer", (string?)document["components"]!["securitySchemes"]!["bearer"]!["scheme"]);
    }

    [Fact]
    public async Task The_reference_page_and_its_assets_come_from_the_server_itself()
    {
        var page = await _sluice.Http.GetStringAsync("/api/v1/reference/index.html");

        Assert.Contains("swagger-ui", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _sluice.Http.GetAsync("/api/v1/reference/swagger-ui-bundle.js")).StatusCode);
    }
}
