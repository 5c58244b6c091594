using System.Text.Json.Nodes;
using Sluice.Tracking;
using Sluice.Workspace;

namespace Sluice.Browser;

/// <summary>
/// <c>GET /v1/projects/{writeKey}/settings</c>: the settings document analytics.js (analytics-next)
/// loads before anything else, as Segment's CDN serves it, with its <c>Segment.io</c> integration
/// sending to this server (the host and scheme the page reached it by) and its own metrics off, so
/// that nothing goes to Segment. One integration only: no device-mode destinations are loaded.
/// </summary>
internal static class SettingsEndpoint
{
    public static IEndpointRouteBuilder MapBrowserSettings(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/v1/projects/{writeKey}/settings", [HttpMethods.Get, HttpMethods.Head], Settings);
        endpoints.MapMethods("/v1/projects/{writeKey}/settings", [HttpMethods.Options], BrowserCors.PreflightAsync);
        return endpoints;
    }

    private static async Task<IResult> Settings(string writeKey, HttpContext http, WorkspaceChanges workspace, Observability.SluiceMetrics metrics)
    {
        BrowserCors.Apply(http);
        if (workspace.SourceByWriteKey(writeKey) is not { } source)
        {
            return Results.Json(new { error = new { code = "unknown_write_key", field = "writeKey", message = "no source has this write key" } }, statusCode: StatusCodes.Status404NotFound);
        }

        var origin = http.Request.Headers.Origin.ToString();
        if (!source.Allows(origin))
        {
            // The same refusal as the tracking endpoints give, so the library reads one shape.
            await TrackingResponses.OriginNotAllowed(http.Response, metrics, origin);
            return Results.Empty;
        }

        // Short, so that a changed host or key reaches browsers within minutes.
        http.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Json(Document(writeKey, http.Request.Host.Value ?? "127.0.0.1", http.Request.Scheme));
    }

    /// <summary>The document, shaped as Segment's own test builder and Jitsu's handler shape it.</summary>
    public static JsonObject Document(string writeKey, string host, string scheme) => new()
    {
        ["integrations"] = new JsonObject
        {
            ["Segment.io"] = new JsonObject
            {
                ["apiKey"] = writeKey,
                // analytics-next wants the host without a scheme, and the scheme apart.
                ["apiHost"] = $"{host}/v1",
                ["protocol"] = scheme,
                ["unbundledIntegrations"] = new JsonArray(),
                ["addBundledMetadata"] = true,
                ["maybeBundledConfigIds"] = new JsonObject(),
                ["versionSettings"] = new JsonObject { ["version"] = "4.4.7", ["componentTypes"] = new JsonArray("browser") },
            },
        },
        ["plan"] = new JsonObject
        {
            ["track"] = new JsonObject { ["__default"] = new JsonObject { ["enabled"] = true, ["integrations"] = new JsonObject() } },
            ["identify"] = new JsonObject { ["__default"] = new JsonObject { ["enabled"] = true } },
            ["group"] = new JsonObject { ["__default"] = new JsonObject { ["enabled"] = true } },
        },
        ["edgeFunction"] = new JsonObject(),
        ["analyticsNextEnabled"] = true,
        ["middlewareSettings"] = new JsonObject(),
        ["enabledMiddleware"] = new JsonObject(),
        // Sample rate 0: the library never posts its metrics (to Segment, or here).
        ["metrics"] = new JsonObject { ["sampleRate"] = 0 },
        ["legacyVideoPluginsEnabled"] = false,
        ["remotePlugins"] = new JsonArray(),
    };
}
