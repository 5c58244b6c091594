using Sluice.Spec;

namespace Sluice.Tracking;

internal static class TrackingEndpoints
{
    private static readonly (string Path, CallType? Type)[] Routes =
    [
        ("/v1/identify", CallType.Identify), ("/v1/i", CallType.Identify),
        ("/v1/track", CallType.Track), ("/v1/t", CallType.Track),
        ("/v1/page", CallType.Page), ("/v1/p", CallType.Page),
        ("/v1/screen", CallType.Screen), ("/v1/s", CallType.Screen),
        ("/v1/group", CallType.Group), ("/v1/g", CallType.Group),
        ("/v1/alias", CallType.Alias), ("/v1/a", CallType.Alias),
        ("/v1/batch", null), ("/v1/import", null), ("/v1/b", null),
    ];

    /// <summary>The Tracking API: Segment's paths, their short forms, and CORS preflight answers so that browser SDKs can post from any origin.</summary>
    public static IEndpointRouteBuilder MapTrackingApi(this IEndpointRouteBuilder endpoints)
    {
        var handler = endpoints.ServiceProvider.GetRequiredService<TrackingHandler>();
        foreach (var (path, type) in Routes)
        {
            endpoints.MapPost(path, context => handler.HandleAsync(context, type));
            endpoints.MapMethods(path, [HttpMethods.Options], BrowserCors.PreflightAsync);
        }

        // analytics.js posts its own metrics here unless the settings turn them off (Sluice's do): accepted, not kept.
        endpoints.MapPost("/v1/m", DiscardMetricsAsync);
        endpoints.MapMethods("/v1/m", [HttpMethods.Options], BrowserCors.PreflightAsync);
        return endpoints;
    }

    private static async Task DiscardMetricsAsync(HttpContext context)
    {
        BrowserCors.Apply(context);
        var buffer = new byte[4096];
        var read = 0L;
        // Read (a bounded amount) so that the connection stays usable; what it says is not used.
        while (read < 64 * 1024 && await context.Request.Body.ReadAsync(buffer, context.RequestAborted) is var n and > 0)
        {
            read += n;
        }

        await context.Response.WriteAsJsonAsync(new { success = true });
    }
}
