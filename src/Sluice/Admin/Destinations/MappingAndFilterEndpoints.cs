using System.Text.Json.Nodes;
using Sluice.Delivery;
using Sluice.Routing;
using Sluice.Workspace;

namespace Sluice.Admin.Destinations;

/// <summary>
/// <c>/api/v1/destinations/{id}/mappings</c> and <c>/filters</c>: one mapping or filter at a time,
/// by name, on destinations made through the API. Each change is checked with the whole destination
/// (at most 50 mappings and 10 filters, triggers and mappings valid) and applies at once.
/// </summary>
internal static class MappingAndFilterEndpoints
{
    public static void Map(RouteGroupBuilder read, RouteGroupBuilder write)
    {
        foreach (var (collection, singular) in new[] { ("mappings", "mapping"), ("filters", "filter") })
        {
            read.MapGet($"/destinations/{{id}}/{collection}", (string id, ApiDestinations destinations, RoutingTable table) =>
                destinations.All().FirstOrDefault(d => d.Instance.Id == id) is { Instance: not null } found
                    ? Results.Json(new JsonObject { [collection] = DestinationEndpoints.Describe(found.Instance, table, found.ManagedBy)[collection]!.DeepClone() })
                    : AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no destination has the id '{id}'"));

            write.MapPost($"/destinations/{{id}}/{collection}", (string id, HttpContext http, ApiDestinations destinations, RoutingTable table) =>
                ChangeAsync(http, destinations, table, id, collection, singular, null, (items, item) =>
                {
                    if (Find(items, (string?)item!["name"]) >= 0)
                    {
                        return new DestinationProblem("name", $"the destination has a {singular} named '{(string?)item["name"]}' already");
                    }

                    items.Add(item);
                    return null;
                }, StatusCodes.Status201Created));

            write.MapPut($"/destinations/{{id}}/{collection}/{{name}}", (string id, string name, HttpContext http, ApiDestinations destinations, RoutingTable table) =>
                ChangeAsync(http, destinations, table, id, collection, singular, Unescape(name), (items, item) =>
                {
                    var at = Find(items, Unescape(name));
                    if (at < 0)
                    {
                        return NotFound(singular, Unescape(name));
                    }

                    items[at] = item;
                    return null;
                }));

            write.MapPatch($"/destinations/{{id}}/{collection}/{{name}}", (string id, string name, HttpContext http, ApiDestinations destinations, RoutingTable table) =>
                ChangeAsync(http, destinations, table, id, collection, singular, Unescape(name), (items, changes) =>
                {
                    var at = Find(items, Unescape(name));
                    if (at < 0)
                    {
                        return NotFound(singular, Unescape(name));
                    }

                    var merged = items[at]!.AsObject();
                    foreach (var (key, value) in changes!.AsObject())
                    {
                        merged[key] = value?.DeepClone();
                    }

                    return null;
                }));

            write.MapDelete($"/destinations/{{id}}/{collection}/{{name}}", (string id, string name, ApiDestinations destinations) =>
            {
                if (destinations.IsManagedByFile(id))
                {
                    return DestinationEndpoints.ManagedByFileError(id);
                }

                DestinationProblem? missing = null;
                var (instance, problems) = destinations.Edit(id, definition =>
                {
                    var items = definition[collection] as JsonArray ?? [];
                    var at = Find(items, Unescape(name));
                    if (at < 0)
                    {
                        return missing = NotFound(singular, Unescape(name));
                    }

                    items.RemoveAt(at);
                    definition[collection] = items;
                    return null;
                });
                return instance is not null ? Results.NoContent()
                    : missing is not null || problems is [{ Field: "id" }] ? AdminResults.Error(StatusCodes.Status404NotFound, "not_found", problems[0].Message)
                    : DestinationEndpoints.Invalid(problems);
            });
        }
    }

    private static async Task<IResult> ChangeAsync(
        HttpContext http, ApiDestinations destinations, RoutingTable table, string id, string collection, string singular, string? name,
        Func<JsonArray, JsonNode?, DestinationProblem?> change, int status = StatusCodes.Status200OK)
    {
        if (destinations.IsManagedByFile(id))
        {
            return DestinationEndpoints.ManagedByFileError(id);
        }

        if (await DestinationEndpoints.ReadObjectAsync(http) is not { } body)
        {
            return DestinationEndpoints.Invalid([new DestinationProblem("", $"the body must be a JSON object: a {singular}")]);
        }

        if (collection == "mappings"
            && await DestinationEndpoints.RefuseInternalTargetsAsync(http, DestinationTargets.InBody(null, [("mapping", body["mapping"])], table.Find(id)?.Definition)) is { } refused)
        {
            return refused;
        }

        DestinationProblem? missing = null;
        var (instance, problems) = destinations.Edit(id, definition =>
        {
            var items = definition[collection] as JsonArray ?? [];
            var refused = change(items, body);
            if (refused is not null && refused.Field == "name" && name is not null && refused.Message.StartsWith("no ", StringComparison.Ordinal))
            {
                missing = refused;
            }

            definition[collection] = items;
            return refused;
        });
        if (instance is null)
        {
            return missing is not null || problems is [{ Field: "id" }]
                ? AdminResults.Error(StatusCodes.Status404NotFound, "not_found", problems[0].Message)
                : DestinationEndpoints.Invalid(problems);
        }

        var described = DestinationEndpoints.Describe(instance, table, "api");
        var itemName = (string?)body["name"] ?? name;
        return Results.Json(described[collection]!.AsArray().LastOrDefault(m => (string?)m!["name"] == itemName)?.DeepClone() ?? described, statusCode: status);
    }

    private static int Find(JsonArray items, string? name)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if ((string?)items[i]?["name"] == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Routing leaves an encoded slash (<c>%2F</c>) in a segment as it is; names made before slashes were refused hold one.</summary>
    private static string Unescape(string name) => Uri.UnescapeDataString(name);

    private static DestinationProblem NotFound(string singular, string name) => new("name", $"no {singular} is named '{name}'");
}
