using System.Globalization;
using System.Text.Json.Nodes;
using Sluice.Profiles;
using Sluice.Profiles.Identity;
using Sluice.Profiles.Recompute;
using Sluice.Spec;

namespace Sluice.Admin.Profiles;

/// <summary>
/// What the web app's profile explorer reads and does, beyond the Segment-shaped Profile API: search by
/// any identifier or trait value (<c>GET /api/v1/profiles?q=…</c>), a profile with its identifiers,
/// traits and log of merges, drops and unmerges (<c>GET /api/v1/profiles/{id}</c>), the unmerge
/// (<c>POST /api/v1/profiles/{id}/unmerge</c>, write permission), and the identifiers unmerges blocked.
/// </summary>
internal static class ProfileExplorerEndpoints
{
    private const int MaxLimit = 100;
    private const int LogLimit = 200;

    public static void Map(RouteGroupBuilder read, RouteGroupBuilder write)
    {
        read.MapGet("/profiles", Search);
        read.MapGet("/profiles/{id}", Profile);
        write.MapPost("/profiles/{id}/unmerge", Unmerge);
        read.MapGet("/identity/blocked", Blocked);
        write.MapDelete("/identity/blocked/{identifier}", Unblock);
    }

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
            profiles.Add(new JsonObject
            {
                ["id"] = id,
                ["identifiers"] = new JsonArray([.. store.ExternalIdsOf(id).Select(e => (JsonNode)Identifier(e.Identifier))]),
                ["traits"] = Traits(store, id),
            });
        }

        return Results.Json(new JsonObject { ["profiles"] = profiles });
    }

    /// <summary>A profile, named by its id (an old id finds the profile it went into) or by <c>type:value</c>.</summary>
    private static IResult Profile(string id, IProfileStore store)
    {
        if (store.Find(id) is not { } profileId || store.MetadataOf(profileId) is not { } metadata)
        {
            return NotFound(id);
        }

        var identifiers = new JsonArray();
        foreach (var external in store.ExternalIdsOf(profileId))
        {
            identifiers.Add(new JsonObject
            {
                ["type"] = external.Identifier.Type,
                ["value"] = external.Identifier.Value,
                ["sourceId"] = external.SourceId,
                ["addedAt"] = IsoTimestamp.Format(external.AddedAt),
                ["firstMessageId"] = external.MessageId,
            });
        }

        return Results.Json(new JsonObject
        {
            ["id"] = profileId,
            ["createdAt"] = IsoTimestamp.Format(metadata.CreatedAt),
            ["updatedAt"] = IsoTimestamp.Format(metadata.UpdatedAt),
            ["identifiers"] = identifiers,
            ["traits"] = Traits(store, profileId),
            ["log"] = new JsonArray([.. store.LogOf(profileId, LogLimit).Select(Entry)]),
        });
    }

    /// <summary>
    /// Takes an identifier off the profile, blocks it, and recomputes the profiles it shaped from their
    /// events (<see cref="ProfileUnmerge"/>). Body: <c>{"identifier": "type:value", "note": "why"}</c>.
    /// </summary>
    private static async Task<IResult> Unmerge(string id, HttpContext http, IProfileStore store)
    {
        if (http.RequestServices.GetService<ProfileUnmerge>() is not { } unmerge)
        {
            return IdentitySettingsEndpoints.IdentityOff();
        }

        var body = await Destinations.DestinationEndpoints.ReadObjectAsync(http);

        var text = body?["identifier"] is JsonValue identifierValue && identifierValue.TryGetValue<string>(out var given) ? given : "";
        if (!Sluice.Profiles.Identity.Identifier.TryParse(text, out var identifier))
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_identifier", "identifier is required: the identifier to take off the profile, as type:value (email:ada@example.com)");
        }

        string? note = null;
        if (body!["note"] is { } noteNode && (noteNode is not JsonValue noteValue || !noteValue.TryGetValue(out note) || note.Length > 500))
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_note", "note must be a string of at most 500 characters");
        }

        if (store.Find(id) is not { } profileId)
        {
            return NotFound(id);
        }

        try
        {
            var done = unmerge.Unmerge(profileId, identifier, http.Items[AdminEndpoints.ActorKey] as string ?? "", string.IsNullOrWhiteSpace(note) ? null : note.Trim());
            return Results.Json(new JsonObject
            {
                ["blocked"] = Identifier(done.Blocked),
                ["profiles"] = new JsonArray([.. done.Profiles.Select(p => (JsonNode)new JsonObject
                {
                    ["id"] = p,
                    ["identifiers"] = new JsonArray([.. store.ExternalIdsOf(p).Select(e => (JsonNode)Identifier(e.Identifier))]),
                })]),
                ["events"] = done.Events,
                ["eventsMissing"] = done.MissingEvents,
            });
        }
        catch (RecomputationRefusedException refused)
        {
            return AdminResults.Error(StatusCodes.Status409Conflict, refused.Code, refused.Message);
        }
    }

    /// <summary>Lifts an unmerge's block (<see cref="ProfileUnmerge.Unblock"/>): <c>DELETE /api/v1/identity/blocked/{type:value}</c>.</summary>
    private static IResult Unblock(string identifier, HttpContext http)
    {
        if (http.RequestServices.GetService<ProfileUnmerge>() is not { } unmerge)
        {
            return IdentitySettingsEndpoints.IdentityOff();
        }

        if (!Sluice.Profiles.Identity.Identifier.TryParse(identifier, out var parsed))
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_identifier", "the identifier goes in the path as type:value (email:ada@example.com, escaped)");
        }

        try
        {
            var done = unmerge.Unblock(parsed, http.Items[AdminEndpoints.ActorKey] as string ?? "", null);
            return Results.Json(new JsonObject
            {
                ["unblocked"] = Identifier(done.Unblocked),
                ["profiles"] = new JsonArray([.. done.Profiles.Select(p => (JsonNode)p)]),
                ["events"] = done.Events,
                ["eventsMissing"] = done.MissingEvents,
            });
        }
        catch (RecomputationRefusedException refused)
        {
            return AdminResults.Error(refused.Code == "not_blocked" ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict, refused.Code, refused.Message);
        }
    }

    private static IResult Blocked(IProfileStore store) => Results.Json(new JsonObject
    {
        ["blocked"] = new JsonArray([.. store.BlockedIdentifiers(1_000).Select(b => (JsonNode)new JsonObject
        {
            ["type"] = b.Identifier.Type,
            ["value"] = b.Identifier.Value,
            ["profileId"] = b.ProfileId,
            ["at"] = IsoTimestamp.Format(b.At),
            ["actor"] = b.Actor,
            ["note"] = b.Note,
        })]),
    });

    private static JsonObject Entry(ProfileLogEntry entry)
    {
        var json = new JsonObject
        {
            ["id"] = entry.Id,
            ["kind"] = entry.Kind,
            ["profileId"] = entry.ProfileId,
            ["identifier"] = entry.Identifier is { } identifier ? Identifier(identifier) : null,
            ["at"] = IsoTimestamp.Format(entry.At),
            ["undoneBy"] = entry.UndoneBy,
        };
        switch (entry.Kind)
        {
            case "merge":
                json["mergedProfileId"] = entry.OtherProfileId;
                json["eventIdentifiers"] = entry.Reason is { } listed ? JsonNode.Parse(listed) : null;
                break;
            case "drop":
                json["rule"] = entry.Reason;
                break;
            default:
                json["note"] = entry.Reason;
                json["actor"] = entry.Actor;
                break;
        }

        if (entry.Kind != "unmerge")
        {
            json["sourceId"] = entry.SourceId;
            json["messageId"] = entry.MessageId;
            json["event"] = entry.Event.ToString();
        }

        return json;
    }

    private static JsonObject Traits(IProfileStore store, string profileId)
    {
        var traits = new JsonObject();
        foreach (var trait in store.TraitRecordsOf(profileId))
        {
            traits[trait.Key] = JsonNode.Parse(trait.Json);
        }

        return traits;
    }

    private static JsonObject Identifier(Identifier identifier) => new() { ["type"] = identifier.Type, ["value"] = identifier.Value };

    private static IResult NotFound(string id) => AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no profile has the id or identifier '{id}'");
}
