using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Delivery;
using Sluice.Destinations;
using Sluice.Routing;
using Sluice.Workspace;

namespace Sluice.Admin.Destinations;

/// <summary>
/// <c>GET /api/v1/sources</c> and <c>/api/v1/destinations</c>: what the workspace holds, each resource
/// marked with who manages it. Secret settings are never returned; a read-only token also sees
/// write keys masked.
/// </summary>
internal static class DestinationEndpoints
{
    public const string Mask = "••••••••";
    public const string ManagedByFile = "workspace-file";

    public static void Map(RouteGroupBuilder read, RouteGroupBuilder write)
    {
        write.MapPost("/destinations", CreateAsync);
        write.MapPatch("/destinations/{id}", UpdateAsync);
        write.MapDelete("/destinations/{id}", (string id, ApiDestinations destinations) =>
            destinations.IsManagedByFile(id) ? ManagedByFileError(id)
            : destinations.Delete(id) ? Results.NoContent()
            : AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no destination has the id '{id}'"));
        read.MapGet("/sources", (HttpContext http, SourceRegistry sources, DeclaredWorkspace declared) => Results.Json(new
        {
            sources = sources.All.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => new
            {
                id = s.Id,
                name = s.Name,
                writeKey = IsReadOnly(http) ? Mask : s.WriteKey,
                managedBy = declared.File?.Sources.Any(d => d.Id == s.Id) == true ? ManagedByFile : null,
            }),
        }));
        read.MapGet("/destinations", (ApiDestinations destinations, RoutingTable table) =>
            Results.Json(new { destinations = destinations.All().Select(d => Describe(d.Instance, table, d.ManagedBy)) }));
        read.MapGet("/destinations/{id}", (string id, ApiDestinations destinations, RoutingTable table) =>
            destinations.All().FirstOrDefault(d => d.Instance.Id == id) is { Instance: not null } found
                ? Results.Json(Describe(found.Instance, table, found.ManagedBy))
                : AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no destination has the id '{id}'"));
    }

    internal static IResult ManagedByFileError(string id) =>
        AdminResults.Error(StatusCodes.Status409Conflict, "managed_by_file", $"destination '{id}' is declared in the workspace file; change it there (the file is applied at start-up)");

    private static async Task<IResult> CreateAsync(HttpContext http, ApiDestinations destinations, RoutingTable table, AuthenticationChecker checker)
    {
        if (await ReadObjectAsync(http) is not { } body)
        {
            return Invalid([new DestinationProblem("", "the body must be a JSON object: {id, type, sources, settings, presets, mappings, filters, …}")]);
        }

        var (instance, problems) = destinations.Create(body);
        return instance is null ? Invalid(problems) : Results.Json(await SavedAsync(instance, table, checker, http.RequestAborted), statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, ApiDestinations destinations, RoutingTable table, AuthenticationChecker checker)
    {
        if (destinations.IsManagedByFile(id))
        {
            return ManagedByFileError(id);
        }

        if (await ReadObjectAsync(http) is not { } body)
        {
            return Invalid([new DestinationProblem("", "the body must be a JSON object with the fields to change")]);
        }

        var (instance, problems) = destinations.Update(id, body, Mask);
        if (instance is null && problems is [{ Field: "id" }])
        {
            return AdminResults.Error(StatusCodes.Status404NotFound, "not_found", problems[0].Message);
        }

        return instance is null ? Invalid(problems) : Results.Json(await SavedAsync(instance, table, checker, http.RequestAborted));
    }

    /// <summary>The saved destination, and the service's answer to its credentials when it can check them (run now: the settings may have changed).</summary>
    private static async Task<JsonObject> SavedAsync(DestinationInstance instance, RoutingTable table, AuthenticationChecker checker, CancellationToken cancellation)
    {
        var result = Describe(instance, table, "api");
        if (table.Find(instance.Id) is { } routed && await checker.CheckAsync(routed, force: false, cancellation) is { } check)
        {
            result["authentication"] = new JsonObject { ["valid"] = check.Valid, ["message"] = check.Message };
        }

        return result;
    }

    private static async Task<JsonObject?> ReadObjectAsync(HttpContext http)
    {
        try
        {
            return await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    internal static IResult Invalid(IReadOnlyList<DestinationProblem> problems) => Results.Json(
        new { error = new { code = "invalid_destination", message = string.Join("; ", problems.Select(p => p.Field.Length == 0 ? p.Message : $"{p.Field}: {p.Message}")), problems = problems.Select(p => new { field = p.Field, message = p.Message }) } },
        statusCode: StatusCodes.Status400BadRequest);

    public static bool IsReadOnly(HttpContext http) => http.Items[AdminEndpoints.RoleKey] as string == Roles.ReadOnly;

    /// <summary>A destination as the API shows it: secret settings masked, presets listed with the mappings they add.</summary>
    public static JsonObject Describe(DestinationInstance destination, RoutingTable table, string managedBy)
    {
        var definition = DestinationCatalog.Find(destination.Type);
        var mappings = new JsonArray();
        if (destination.Presets && definition is not null)
        {
            foreach (var preset in definition.Presets)
            {
                mappings.Add(new JsonObject
                {
                    ["name"] = preset.Name,
                    ["action"] = preset.ActionSlug,
                    ["trigger"] = preset.Subscribe,
                    ["mapping"] = preset.Mapping.DeepClone(),
                    ["enabled"] = true,
                    ["preset"] = true,
                });
            }
        }

        foreach (var mapping in destination.Mappings)
        {
            mappings.Add(new JsonObject
            {
                ["name"] = mapping.Name,
                ["action"] = mapping.Action,
                ["trigger"] = mapping.Trigger,
                ["mapping"] = mapping.Mapping.DeepClone(),
                ["enabled"] = mapping.Enabled,
                ["preset"] = false,
            });
        }

        return new JsonObject
        {
            ["id"] = destination.Id,
            ["name"] = destination.Name ?? definition?.Name ?? destination.Type,
            ["type"] = destination.Type,
            ["catalogName"] = definition?.Name,
            ["sources"] = new JsonArray([.. destination.Sources.Select(s => JsonValue.Create(s))]),
            ["enabled"] = destination.Enabled,
            ["settings"] = MaskedSettings(destination.Settings, definition),
            ["presets"] = destination.Presets,
            ["mappings"] = mappings,
            ["filters"] = new JsonArray([.. destination.Filters.Select(f => (JsonNode)new JsonObject
            {
                ["name"] = f.Name,
                ["if"] = f.If,
                ["drop"] = f.Drop ? true : null,
                ["sample"] = f.Sample,
                ["block"] = f.Block is { } block ? new JsonArray([.. block.Select(b => JsonValue.Create(b))]) : null,
                ["allow"] = f.Allow is { } allow ? new JsonArray([.. allow.Select(a => JsonValue.Create(a))]) : null,
            })]),
            ["retryWindowSeconds"] = destination.RetryWindow.TotalSeconds,
            ["rateLimit"] = table.Find(destination.Id)?.RateLimit,
            ["managedBy"] = managedBy,
        };
    }

    /// <summary>Secret settings (and any setting the catalog does not know, which may be one) show only that they are set.</summary>
    public static JsonObject MaskedSettings(JsonObject settings, DestinationDefinition? definition)
    {
        var masked = new JsonObject();
        foreach (var (key, value) in settings)
        {
            var secret = definition?.Settings.GetValueOrDefault(key) is not { } field || field.IsSecret;
            masked[key] = secret ? (value is null ? null : Mask) : value?.DeepClone();
        }

        return masked;
    }
}
