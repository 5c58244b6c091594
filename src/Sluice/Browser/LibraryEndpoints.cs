using System.Collections.Frozen;
using System.Text;

namespace Sluice.Browser;

/// <summary>
/// analytics.js served from Sluice's own origin, as Segment's CDN serves it: the standalone build of
/// <c>@segment/analytics-next</c> at the version in <c>Browser/analytics-next/VERSION</c>, built into
/// the executable, and the chunks it loads from <c>&lt;cdn&gt;/analytics-next/bundles/</c>. A site's
/// snippet then changes only its host, and an ad blocker that drops Segment's CDN has nothing to drop.
/// </summary>
internal static class LibraryEndpoints
{
    private const string Prefix = "analytics-next/";

    private static readonly FrozenDictionary<string, byte[]> Files = Hosting.EmbeddedFiles.Load(Prefix);

    /// <summary>The pinned version of analytics-next, as npm names it.</summary>
    public static string Version { get; } = Encoding.UTF8.GetString(Files["VERSION"]).Trim();

    // Decoded once: the script is 115 KB, and each request only puts its key in.
    private static readonly string StandaloneScript = Encoding.UTF8.GetString(Files["standalone.js"]);

    private static readonly string SnippetTemplate = Encoding.UTF8.GetString(Files["snippet.template.js"]);

    /// <summary>
    /// Segment's snippet (rendered from <c>@segment/snippet</c> by update.sh) for a site to load analytics.js
    /// from <paramref name="host"/>. The snippet writes https; a server reached over plain http (a test on
    /// one machine) gets http, since a page cannot load from an https address that does not answer.
    /// </summary>
    public static string Snippet(string host, string scheme, string writeKey)
    {
        var template = SnippetTemplate;
        if (scheme == "http")
        {
            template = template.Replace("https://{{HOST}}", "http://{{HOST}}", StringComparison.Ordinal);
        }

        return template.Replace("{{HOST}}", host, StringComparison.Ordinal).Replace("{{WRITE_KEY}}", writeKey, StringComparison.Ordinal);
    }

    public static IEndpointRouteBuilder MapBrowserLibrary(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/analytics.js/v1/{writeKey}/analytics.min.js", [HttpMethods.Get, HttpMethods.Head], Standalone);
        // The library asks for the classic build when a content-security policy blocks it; there is none here.
        endpoints.MapMethods("/analytics.js/v1/{writeKey}/analytics.classic.js", [HttpMethods.Get, HttpMethods.Head], () => Results.NotFound());
        endpoints.MapMethods("/analytics-next/bundles/{file}", [HttpMethods.Get, HttpMethods.Head], Chunk);
        endpoints.MapMethods("/analytics-next/LICENSE", [HttpMethods.Get, HttpMethods.Head], () => Results.Bytes(Files["LICENSE.MD"], "text/plain; charset=utf-8"));
        return endpoints;
    }

    private static IResult Standalone(string writeKey, HttpContext http)
    {
        // The key goes into the script's text: only the characters write keys are made of.
        if (writeKey.Length is 0 or > 200 || !writeKey.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            return Results.NotFound();
        }

        // The build carries a placeholder meant for self-hosting: with the key in it, the script needs no snippet to know it.
        var script = StandaloneScript.Replace("__WRITE_KEY__", writeKey, StringComparison.Ordinal);
        http.Response.Headers.CacheControl = "public, max-age=300";
        http.Response.Headers["X-Analytics-Next-Version"] = Version;
        return Results.Text(script, "text/javascript; charset=utf-8");
    }

    private static IResult Chunk(string file, HttpContext http)
    {
        if (!file.Contains(".bundle.", StringComparison.Ordinal) || !Files.TryGetValue(file, out var content))
        {
            return Results.NotFound();
        }

        // Chunk names carry a hash of their content: they never change under the same name.
        http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return Results.Bytes(content, "text/javascript; charset=utf-8");
    }
}
