using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Destinations;

namespace Sluice.Admin.Catalog;

/// <summary><c>/api/v1/catalog</c>: every destination definition as data — settings, actions with their fields and defaults, presets.</summary>
internal static class CatalogEndpoints
{
    public static void Map(RouteGroupBuilder catalog)
    {
        catalog.MapGet("", (DestinationCatalog destinations) => Results.Json(new { destinations = destinations.All.OrderBy(d => d.Name, StringComparer.OrdinalIgnoreCase).Select(Describe) }));
        catalog.MapGet("/{slug}", (string slug, DestinationCatalog destinations) => destinations.Find(slug) is { } definition
            ? Results.Json(Describe(definition))
            : AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"the catalog has no destination '{slug}'; it has: {string.Join(", ", destinations.All.Select(d => d.Slug).Order())}"));
    }

    public static JsonObject Describe(DestinationDefinition definition) => new()
    {
        ["slug"] = definition.Slug,
        ["name"] = definition.Name,
        ["description"] = definition.Description,
        ["aliases"] = new JsonArray([.. definition.Aliases.Select(a => JsonValue.Create(a))]),
        ["supportedTypes"] = definition.SupportedTypes is { } types ? new JsonArray([.. types.Select(t => JsonValue.Create(t))]) : null,
        ["testAuthentication"] = definition.TestAuthentication is not null,
        ["deletion"] = definition.OnDelete is not null,
        ["defaultRateLimit"] = definition.DefaultRateLimit,
        ["settings"] = new JsonObject(definition.Settings.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)new JsonObject
        {
            ["label"] = s.Value.Label,
            ["description"] = s.Value.Description,
            ["type"] = s.Value.Type.ToString().ToLowerInvariant(),
            ["required"] = s.Value.Required,
            ["secret"] = s.Value.IsSecret,
            ["default"] = s.Value.Default?.DeepClone(),
            ["format"] = s.Value.Format,
        }))),
        ["actions"] = new JsonObject(definition.Actions.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)new JsonObject
        {
            ["title"] = a.Value.Title,
            ["description"] = a.Value.Description,
            ["defaultSubscription"] = a.Value.DefaultSubscription,
            ["batching"] = a.Value.PerformBatch is not null,
            ["fields"] = Fields(a.Value.Fields),
        }))),
        ["presets"] = new JsonArray([.. definition.Presets.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Name,
            ["trigger"] = p.Subscribe,
            ["action"] = p.ActionSlug,
            ["mapping"] = p.Mapping.DeepClone(),
        })]),
    };

    private static JsonObject Fields(IReadOnlyDictionary<string, InputField> fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)new JsonObject
        {
            ["label"] = f.Value.Label,
            ["description"] = f.Value.Description,
            ["type"] = f.Value.Type.ToString().ToLowerInvariant(),
            ["required"] = f.Value.Required,
            ["multiple"] = f.Value.Multiple,
            ["allowNull"] = f.Value.AllowNull,
            ["choices"] = f.Value.Choices is { } choices ? new JsonArray([.. choices.Select(c => JsonValue.Create(c))]) : null,
            ["format"] = f.Value.Format,
            ["default"] = f.Value.Default?.DeepClone(),
            ["hidden"] = f.Value.Hidden,
            ["properties"] = f.Value.Properties is { } nested ? Fields(nested) : null,
        })));
}
