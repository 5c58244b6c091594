using System.Text.Json;
using Sluice.Storage;
using Sluice.Workspace;

namespace Sluice.Admin;

/// <summary>The Admin API (<c>/api/v1</c>, bearer tokens). The debugger's event list is its first endpoint.</summary>
internal static class AdminEndpoints
{
    public const int DefaultEventLimit = 100;
    public const int MaxEventLimit = 10_000;

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1").AddEndpointFilter(RequireToken);
        api.MapGet("/sources/{id}/events", ListEvents);
        return endpoints;
    }

    private static async ValueTask<object?> RequireToken(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        var tokens = http.RequestServices.GetRequiredService<AdminTokens>();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || tokens.Authenticate(header[7..].Trim()) is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return AdminResults.Error(StatusCodes.Status401Unauthorized, "unauthorized", "an admin token is required: Authorization: Bearer <token>");
        }

        return await next(invocation);
    }

    private static async Task ListEvents(HttpContext http, string id, SourceRegistry sources, IEventStore events)
    {
        var limit = DefaultEventLimit;
        if (http.Request.Query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, out limit) || limit is < 1 or > MaxEventLimit))
        {
            await AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_limit", $"limit must be a whole number from 1 to {MaxEventLimit}").ExecuteAsync(http);
            return;
        }

        if (sources.FindById(id) is null)
        {
            await AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no source has the id '{id}'").ExecuteAsync(http);
            return;
        }

        var bodies = events.ReadNewest(id, limit);
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteStartArray("events");
        foreach (var body in bodies)
        {
            json.WriteRawValue(body, skipInputValidation: true);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}

internal static class AdminResults
{
    public static IResult Error(int status, string code, string message) =>
        Results.Json(new { error = new { code, message } }, statusCode: status);
}
