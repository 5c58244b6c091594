using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
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

    public static void Map(RouteGroupBuilder read)
    {
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
        read.MapGet("/destinations", (DeclaredWorkspace declared, RoutingTable table) =>
            Results.Json(new { destinations = (declared.File?.Destinations ?? []).Select(d => Describe(d, table)) }));
        read.MapGet("/destinations/{id}", (string id, DeclaredWorkspace declared, RoutingTable table) =>
            declared.File?.Destinations.FirstOrDefault(d => d.Id == id) is { } destination
                ? Results.Json(Describe(destination, table))
                : AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no destination has the id '{id}'"));
    }

    public static bool IsReadOnly(HttpContext http) => http.Items[AdminEndpoints.RoleKey] as string == Roles.ReadOnly;

    /// <summary>A destination as the API shows it: secret settings masked, presets listed with the mappings they add.</summary>
    public static JsonObject Describe(DestinationInstance destination, RoutingTable table)
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
            ["managedBy"] = ManagedByFile,
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
