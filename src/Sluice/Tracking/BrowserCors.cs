namespace Sluice.Tracking;

/// <summary>
/// CORS for what browsers call: the Tracking API and the settings document. The request's origin
/// is echoed (with <c>Vary: Origin</c>, so caches keep one answer per origin) on every answer,
/// errors included: a browser hides an answer without it, and analytics.js then retries what was
/// in fact refused or stored. Preflights are answered before any authentication, since a browser
/// sends them without credentials.
/// </summary>
internal static class BrowserCors
{
    /// <summary>What analytics.js sends besides the safelisted headers (1.84 on): its write key, and a retry count.</summary>
    private const string AllowedHeaders = "Content-Type, Authorization, X-Retry-Count, X-Write-Key";

    public static void Apply(HttpContext http)
    {
        var headers = http.Response.Headers;
        var origin = http.Request.Headers.Origin.ToString();
        headers.AccessControlAllowOrigin = origin.Length > 0 ? origin : "*";
        headers.Vary = "Origin";
    }

    public static Task PreflightAsync(HttpContext http)
    {
        Apply(http);
        var headers = http.Response.Headers;
        headers.AccessControlAllowMethods = "GET, POST, OPTIONS";
        var requested = http.Request.Headers.AccessControlRequestHeaders.ToString();
        headers.AccessControlAllowHeaders = requested.Length > 0 ? requested : AllowedHeaders;
        headers.AccessControlMaxAge = "86400";
        http.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }
}
