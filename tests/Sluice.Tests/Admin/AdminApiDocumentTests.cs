using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Sluice.Infrastructure;

namespace Sluice.Admin;

/// <summary>
/// The Admin API describes itself (OpenAPI): every operation the server maps, and only those, with
/// a summary, a tag, its request body and its answers with schemas; and a reference page served by
/// the process, with no CDN.
/// </summary>
public sealed class AdminApiDocumentTests : IAsyncLifetime
{
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync() => _sluice = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _sluice.DisposeAsync();

    private async Task<string> DocumentAsync() => await _sluice.Http.GetStringAsync("/api/v1/openapi.json");

    [Fact]
    public async Task The_document_is_valid_OpenAPI_with_bearer_authentication()
    {
        var read = OpenApiDocument.Parse(await DocumentAsync(), "json", new OpenApiReaderSettings());

        Assert.Empty(read.Diagnostic?.Errors ?? []);
        Assert.Equal("Sluice Admin API", read.Document!.Info.Title);
        Assert.Equal("bearer", read.Document.Components!.SecuritySchemes!["bearer"].Scheme);
    }

    [Fact]
    public async Task The_document_has_exactly_the_operations_the_server_maps()
    {
        var mapped = _sluice.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/", StringComparison.Ordinal) == true && !e.RoutePattern.RawText.Contains("openapi.json", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {e.RoutePattern.RawText!.TrimEnd('/')}"))
            .Order().ToList();
        var documented = JsonNode.Parse(await DocumentAsync())!["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Where(o => o.Key != "parameters").Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"))
            .Order().ToList();

        Assert.Equal(mapped, documented);
    }

    [Fact]
    public async Task Every_operation_has_a_summary_a_tag_its_body_and_answers_with_schemas()
    {
        foreach (var (path, operations) in JsonNode.Parse(await DocumentAsync())!["paths"]!.AsObject())
        {
            foreach (var (method, operation) in operations!.AsObject().Where(o => o.Key != "parameters"))
            {
                var name = $"{method.ToUpperInvariant()} {path}";
                Assert.False(string.IsNullOrWhiteSpace((string?)operation!["summary"]), name);
                Assert.Single(operation["tags"]!.AsArray());
                var answers = operation["responses"]!.AsObject();
                Assert.Contains(answers, a => a.Key.StartsWith('2'));
                foreach (var (status, answer) in answers.Where(a => a.Key != "204"))
                {
                    Assert.True(answer!["content"]?.AsObject().Single().Value!["schema"] is not null, $"{name} {status} has no schema");
                }

                if (method is "post" or "put" or "patch" && !path.EndsWith("/rotate-write-key", StringComparison.Ordinal) && !path.EndsWith("/replay", StringComparison.Ordinal))
                {
                    Assert.True(operation["requestBody"]?["content"]?["application/json"]?["schema"] is not null, $"{name} has no request body");
                }
            }
        }
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
