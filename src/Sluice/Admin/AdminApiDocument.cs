using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Sluice.Admin;

/// <summary>
/// The Admin API's OpenAPI document (<c>/api/v1/openapi.json</c>) and a browsable reference page
/// (<c>/api/v1/reference</c>, Swagger UI served from the process itself: no CDN).
/// </summary>
internal static class AdminApiDocument
{
    public const string DocumentPath = "/api/v1/openapi.json";

    public static IServiceCollection AddAdminApiDocument(this IServiceCollection services) =>
        services.AddOpenApi("v1", options =>
        {
            // Only the Admin API: the Tracking API is Segment's, documented in docs/tracking-api.md.
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/v1/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Sluice Admin API",
                    Version = "v1",
                    Description = "Sources, the destination catalog, destinations, mappings, deliveries and tokens. Every request needs `Authorization: Bearer <token>`; a token's role (workspace-owner, workspace-member, read-only) decides what it may do.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "An admin token: sl_…" };
                document.Security ??= [];
                document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
                return Task.CompletedTask;
            });
        });

    public static WebApplication MapAdminApiDocument(this WebApplication app)
    {
        app.MapOpenApi("/api/{documentName}/openapi.json");
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
