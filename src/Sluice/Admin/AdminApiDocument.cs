namespace Sluice.Admin;

/// <summary>
/// The Admin API's OpenAPI document (<c>/api/v1/openapi.json</c>) and a browsable reference page
/// (<c>/api/v1/reference</c>, Swagger UI served from the process itself: no CDN). The endpoints
/// read their bodies by hand (to answer odd JSON with the field and the rule), so nothing could
/// infer their schemas: the document is written out (<c>Admin/openapi.json</c>), and a test holds it
/// to the endpoints the server really maps, operation by operation.
/// </summary>
internal static class AdminApiDocument
{
    public const string DocumentPath = "/api/v1/openapi.json";

    private static readonly byte[] Document = Hosting.EmbeddedFiles.Load("admin/")["openapi.json"];

    public static WebApplication MapAdminApiDocument(this WebApplication app)
    {
        app.MapMethods(DocumentPath, ["GET", "HEAD"], () => Results.Bytes(Document, "application/json; charset=utf-8")).ExcludeFromDescription();
        // People type tokens into the reference page's Authorize dialog: it gets the web app's rules
        // (nothing from elsewhere, never in a frame); Swagger UI sets inline styles, so styles may be inline.
        app.Use((http, next) =>
        {
            if (http.Request.Path.StartsWithSegments("/api/v1/reference"))
            {
                http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
                http.Response.Headers.XFrameOptions = "DENY";
                http.Response.Headers.XContentTypeOptions = "nosniff";
            }

            return next(http);
        });
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = "api/v1/reference";
            options.SwaggerEndpoint(DocumentPath, "Sluice Admin API v1");
            options.DocumentTitle = "Sluice Admin API";
        });
        return app;
    }
}
