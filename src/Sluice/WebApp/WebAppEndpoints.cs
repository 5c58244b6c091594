using System.Collections.Frozen;

namespace Sluice.WebApp;

/// <summary>
/// The web app, served by the same process at <c>/</c> from files built into the executable: it
/// works offline (no CDN) and needs no web root on disk. It signs in with an Admin API token and
/// does everything through the Admin API.
/// </summary>
internal static class WebAppEndpoints
{
    private const string ResourcePrefix = "webapp/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, byte[]> Files = Hosting.EmbeddedFiles.Load(ResourcePrefix);

    public static IEndpointRouteBuilder MapWebApp(this IEndpointRouteBuilder endpoints)
    {
        // HEAD too, so that curl -I and uptime checks see what a browser gets.
        endpoints.MapMethods("/", ["GET", "HEAD"], (HttpContext http) => Serve(http, "index.html")).ExcludeFromDescription();
        endpoints.MapMethods("/app/{*path}", ["GET", "HEAD"], (HttpContext http, string path) => Serve(http, path)).ExcludeFromDescription();
        return endpoints;
    }

    private static IResult Serve(HttpContext http, string path)
    {
        if (!Files.TryGetValue(path, out var content))
        {
            return Results.NotFound();
        }

        // Everything the page loads comes from here; nothing inline, nothing from elsewhere.
        http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Bytes(content, ContentTypes.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream"));
    }
}
