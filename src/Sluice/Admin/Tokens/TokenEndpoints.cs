using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Spec;
using Sluice.Storage;

namespace Sluice.Admin.Tokens;

/// <summary>
/// <c>/api/v1/tokens</c>: owners mint tokens with a role (the value is shown once: only its hash is
/// kept), list them, and revoke them. The last owner token cannot be revoked, so the workspace
/// never locks itself out.
/// </summary>
internal static class TokenEndpoints
{
    public static void Map(RouteGroupBuilder tokens)
    {
        tokens.MapGet("", List);
        tokens.MapPost("", Create);
        tokens.MapDelete("/{id}", Revoke);
    }

    private sealed record CreateToken(string? Name, string? Role);

    private static IResult List(IWorkspaceStore store) =>
        Results.Json(new { tokens = store.ListAdminTokens().Select(Describe) });

    private static async Task<IResult> Create(HttpContext http, AdminTokens tokens, TimeProvider time)
    {
        CreateToken? body;
        try
        {
            // Whatever the Content-Type says: a script's curl -d is JSON too.
            var node = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            body = new CreateToken(Text(node?["name"]), Text(node?["role"]));
        }
        catch (JsonException exception)
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_body", $"the body must be {{\"name\", \"role\"}}: {exception.Message}");
        }

        if (string.IsNullOrWhiteSpace(body?.Name) || body.Name.Length > 100)
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_name", "name is required (at most 100 characters): say what the token is for");
        }

        if (body.Role is null || !Roles.All.Contains(body.Role))
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_role", $"role must be one of {string.Join(", ", Roles.All)}");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var (id, token) = tokens.Mint(body.Name.Trim(), body.Role, now);
        return Results.Json(new { id, name = body.Name.Trim(), role = body.Role, token, createdAt = IsoTimestamp.Format(now) }, statusCode: StatusCodes.Status201Created);
    }

    private static IResult Revoke(string id, AdminTokens tokens, IWorkspaceStore store)
    {
        var all = store.ListAdminTokens();
        if (all.FirstOrDefault(t => t.Id == id) is not { } token)
        {
            return AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no token has the id '{id}'");
        }

        if (Roles.Normalize(token.Role) == Roles.Owner && all.Count(t => Roles.Normalize(t.Role) == Roles.Owner) == 1)
        {
            return AdminResults.Error(StatusCodes.Status409Conflict, "last_owner", "this is the last workspace-owner token; mint another owner token before revoking it");
        }

        tokens.Revoke(id);
        return Results.NoContent();
    }

    private static string? Text(JsonNode? node) => Actions.Mapping.JsValues.IsString(node, out var text) ? text : null;

    private static object Describe(StoredAdminToken token) => new
    {
        id = token.Id,
        name = token.Name,
        role = Roles.Normalize(token.Role),
        createdAt = IsoTimestamp.Format(token.CreatedAt),
    };
}
