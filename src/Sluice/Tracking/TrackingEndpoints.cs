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
            endpoints.MapMethods(path, [HttpMethods.Options], Preflight);
        }

        return endpoints;
    }

    private static Task Preflight(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = "*";
        headers.AccessControlAllowMethods = "POST, OPTIONS";
        var requested = context.Request.Headers.AccessControlRequestHeaders.ToString();
        headers.AccessControlAllowHeaders = requested.Length > 0 ? requested : "Content-Type, Authorization, X-Retry-Count";
        headers.AccessControlMaxAge = "86400";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }
}
