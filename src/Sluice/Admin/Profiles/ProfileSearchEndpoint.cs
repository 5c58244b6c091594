using System.Globalization;
using System.Text.Json.Nodes;
using Sluice.Profiles;

namespace Sluice.Admin.Profiles;

/// <summary>
/// <c>GET /api/v1/profiles?q=…</c>: the profiles that have an identifier of that value (any type) or a trait
/// of that value, each with its identifiers and traits: how the web app's explorer finds a person.
/// </summary>
internal static class ProfileSearchEndpoint
{
    private const int MaxLimit = 100;

    public static void Map(RouteGroupBuilder read) => read.MapGet("/profiles", Search);

    private static IResult Search(HttpContext http, IProfileStore store)
    {
        var text = http.Request.Query["q"].ToString();
        if (text.Length == 0)
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_query", "q is required: an identifier's value (ada@example.com, a userId, an anonymousId) or a trait's value");
        }

        var limitText = http.Request.Query["limit"].ToString();
        var limit = 20;
        if (limitText.Length > 0 && !(int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxLimit))
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_limit", $"limit must be a whole number from 1 to {MaxLimit}");
        }

        var profiles = new JsonArray();
        foreach (var id in store.Search(text, limit))
        {
            var traits = new JsonObject();
            foreach (var trait in store.TraitRecordsOf(id))
            {
                traits[trait.Key] = JsonNode.Parse(trait.Json);
            }

            profiles.Add(new JsonObject
            {
                ["id"] = id,
                ["identifiers"] = new JsonArray([.. store.ExternalIdsOf(id).Select(e => (JsonNode)new JsonObject { ["type"] = e.Identifier.Type, ["value"] = e.Identifier.Value })]),
                ["traits"] = traits,
            });
        }

        return Results.Json(new JsonObject { ["profiles"] = profiles });
    }
}
