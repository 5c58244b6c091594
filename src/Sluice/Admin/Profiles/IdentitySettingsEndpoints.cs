using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Profiles;
using Sluice.Profiles.Recompute;
using Sluice.Spec;
using Sluice.Workspace;

namespace Sluice.Admin.Profiles;

/// <summary>
/// Identity resolution's settings through the Admin API: <c>GET /api/v1/identity</c> shows them and who
/// manages them; <c>POST /api/v1/identity/preview</c> is the dry run of a change (which stored profiles
/// would merge, split or change); <c>PUT /api/v1/identity</c> saves one, and by default recomputes the
/// profiles it changes. Settings are sent in the workspace file's <c>identity:</c> shape and read by its loader.
/// </summary>
internal static class IdentitySettingsEndpoints
{
    public static void Map(RouteGroupBuilder read, RouteGroupBuilder write)
    {
        read.MapGet("/identity", Show);
        write.MapPost("/identity/preview", (Delegate)Preview);
        write.MapPut("/identity", (Delegate)Save);
    }

    private static IResult Show(HttpContext http, IProfileStore store)
    {
        if (http.RequestServices.GetService<IdentitySettingsChange>() is not { } change || http.RequestServices.GetService<IdentitySettingsSource>() is not { } source)
        {
            return Results.Json(new JsonObject { ["enabled"] = false });
        }

        var saved = source.ManagedByFile ? null : store.StoredSettings();
        return Results.Json(new JsonObject
        {
            ["enabled"] = true,
            ["managedBy"] = source.ManagedByFile ? "workspace-file" : "api",
            ["settings"] = change.Current(),
            ["updatedAt"] = saved is null ? null : IsoTimestamp.Format(saved.UpdatedAt),
            ["updatedBy"] = saved?.Actor,
        });
    }

    private static async Task<IResult> Preview(HttpContext http) => await WithSettingsAsync(http, (change, settings, _) => Results.Json(Describe(change.Preview(settings))));

    private static async Task<IResult> Save(HttpContext http) => await WithSettingsAsync(http, (change, settings, body) =>
    {
        var recompute = body["recompute"] is not JsonValue value || !value.TryGetValue<bool>(out var given) || given;
        var preview = change.Save(settings, http.Items[AdminEndpoints.ActorKey] as string ?? "", recompute);
        return Results.Json(new JsonObject
        {
            ["settings"] = change.Current(),
            ["recomputed"] = preview is null ? null : Describe(preview),
        });
    });

    /// <summary>Reads <c>{"settings": {…}}</c> and answers with <paramref name="answer"/>, or says what is wrong.</summary>
    private static async Task<IResult> WithSettingsAsync(HttpContext http, Func<IdentitySettingsChange, IdentitySettings, JsonObject, IResult> answer)
    {
        if (http.RequestServices.GetService<IdentitySettingsChange>() is not { } change)
        {
            return IdentityOff();
        }

        var body = await Destinations.DestinationEndpoints.ReadObjectAsync(http);

        if (body?["settings"] is not JsonObject section)
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_settings", "settings is required: an object shaped as the workspace file's identity: section (rules, customKeys, blockedValues, blockedPatterns, maxMerges, maxIdentifiers, aliasMerges)");
        }

        if (body["recompute"] is { } recompute && recompute.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_settings", "recompute must be true or false");
        }

        var (settings, problems) = IdentitySection.FromJson(section);
        if (settings is null)
        {
            return Destinations.DestinationEndpoints.Invalid([.. problems.Select(p => new DestinationProblem(p.Field, p.Message))], "invalid_settings");
        }

        try
        {
            return answer(change, settings, body);
        }
        catch (RecomputationRefusedException refused)
        {
            return AdminResults.Error(StatusCodes.Status409Conflict, refused.Code, refused.Message);
        }
    }

    /// <summary>The answer of a profiles route when the workspace file has no <c>identity:</c> section.</summary>
    public static IResult IdentityOff() => AdminResults.Error(
        StatusCodes.Status409Conflict, "identity_off", "identity resolution is off: add an identity: section to the workspace file (an empty one leaves the settings to the Admin API)");

    private static JsonObject Describe(PreviewResult preview) => new()
    {
        ["events"] = preview.Events,
        ["profilesNow"] = preview.ProfilesStored,
        ["profilesAfter"] = preview.ProfilesMade,
        ["changed"] = preview.Changed,
        ["merges"] = new JsonObject
        {
            ["count"] = preview.MergeCount,
            ["examples"] = new JsonArray([.. preview.Merges.Select(m => (JsonNode)new JsonObject
            {
                ["profiles"] = new JsonArray([.. m.Profiles.Select(p => (JsonNode)p)]),
                ["identifiers"] = new JsonArray([.. m.Identifiers.Select(i => (JsonNode)i.ToString())]),
            })]),
        },
        ["splits"] = new JsonObject
        {
            ["count"] = preview.SplitCount,
            ["examples"] = new JsonArray([.. preview.Splits.Select(s => (JsonNode)new JsonObject
            {
                ["profile"] = s.Profile,
                ["parts"] = new JsonArray([.. s.Parts.Select(part => (JsonNode)new JsonArray([.. part.Select(i => (JsonNode)i.ToString())]))]),
            })]),
        },
        ["identifiersLost"] = preview.IdentifiersLost,
        ["identifiersGained"] = preview.IdentifiersGained,
    };
}
