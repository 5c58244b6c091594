using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Admin.Profiles;
using Sluice.Engage;
using Sluice.Engage.Computation;
using Sluice.Engage.Definitions;
using Sluice.Engage.Store;
using Sluice.Profiles;
using Sluice.Spec;
using Sluice.Workspace;

namespace Sluice.Admin.Engage;

/// <summary>
/// Computed traits and audiences through the Admin API: the list with each one's size, status (computing
/// the past, or live) and last change; one with its members and its syncs to destinations; making, changing
/// and deleting those not in the workspace file; a preview of a definition before it is saved; and why a
/// profile has the values it has.
/// </summary>
internal static class EngageEndpoints
{
    private const int MaxLimit = 1_000;

    public static void Map(RouteGroupBuilder read, RouteGroupBuilder write)
    {
        read.MapGet("/engage", List);
        read.MapGet("/engage/{key}", One);
        read.MapGet("/engage/{key}/members", Members);
        read.MapGet("/profiles/{id}/engage", Why);
        write.MapPost("/engage/computed-traits", (Delegate)((HttpContext http) => CreateAsync(http, EngageDefinitionInput.Trait)));
        write.MapPost("/engage/audiences", (Delegate)((HttpContext http) => CreateAsync(http, EngageDefinitionInput.Audience)));
        write.MapPut("/engage/{key}", (Delegate)UpdateAsync);
        write.MapDelete("/engage/{key}", Delete);
        write.MapPost("/engage/preview", (Delegate)PreviewAsync);
    }

    private static IResult List(HttpContext http, IProfileStore store)
    {
        if (http.RequestServices.GetService<Engagement>() is not { } engagement)
        {
            return IdentitySettingsEndpoints.IdentityOff();
        }

        var definitions = engagement.Current(store);
        var describe = Describer(engagement, store, definitions);
        return Results.Json(new JsonObject
        {
            ["computedTraits"] = new JsonArray([.. definitions.Traits.Select(t => (JsonNode)describe(t.Key))]),
            ["audiences"] = new JsonArray([.. definitions.Audiences.Select(a => (JsonNode)describe(a.Key))]),
        });
    }

    private static IResult One(string key, HttpContext http, IProfileStore store)
    {
        if (http.RequestServices.GetService<Engagement>() is not { } engagement)
        {
            return IdentitySettingsEndpoints.IdentityOff();
        }

        var definitions = engagement.Current(store);
        if (!definitions.Defines(key))
        {
            return NotFound(key);
        }

        var described = Describer(engagement, store, definitions)(key);
        var syncs = store.EngageSyncs();
        described["syncs"] = new JsonArray([.. ConnectionsOf(definitions, key).Select(c =>
        {
            var sync = syncs.GetValueOrDefault($"{key}/{c.DestinationId}");
            return (JsonNode)new JsonObject
            {
                ["destination"] = c.DestinationId,
                ["started"] = sync is not null,
                ["startedAt"] = sync is null ? null : IsoTimestamp.Format(sync.StartedAt),
                ["syncedAt"] = sync is null ? null : IsoTimestamp.Format(sync.SyncedAt),
                ["messages"] = sync?.Messages ?? 0,
                ["changesWaiting"] = sync is null ? null : store.EngageChangesAfter(key, sync.LastChangeId),
            };
        })]);
        described["syncHistory"] = new JsonArray([.. store.EngageSyncRunsOf(key, 50).Select(r => (JsonNode)new JsonObject
        {
            ["destination"] = r.Connection[(key.Length + 1)..],
            ["at"] = IsoTimestamp.Format(r.At),
            ["kind"] = r.First ? "first" : "changes",
            ["values"] = r.Values,
            ["messages"] = r.Messages,
        })]);
        described["recentChanges"] = new JsonArray([.. store.RecentEngageChanges(key, 50).Select(c => (JsonNode)new JsonObject
        {
            ["id"] = c.Id,
            ["profile"] = c.ProfileId,
            ["value"] = JsonNode.Parse(c.Json),
            ["previous"] = c.Previous is null ? null : JsonNode.Parse(c.Previous),
            ["resent"] = c.Resent,
            ["at"] = IsoTimestamp.Format(c.At),
        })]);
        return Results.Json(described);
    }

    private static IResult Members(string key, HttpContext http, IProfileStore store)
    {
        if (http.RequestServices.GetService<Engagement>() is not { } engagement)
        {
            return IdentitySettingsEndpoints.IdentityOff();
        }

        if (!engagement.Current(store).Defines(key))
        {
            return NotFound(key);
        }

        var limitText = http.Request.Query["limit"].ToString();
        var limit = 100;
        if (limitText.Length > 0 && !(int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxLimit))
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_limit", $"limit must be a whole number from 1 to {MaxLimit}");
        }

        var after = http.Request.Query["after"].ToString();
        var rows = store.EngageValues(key, limit, after.Length == 0 ? null : after);
        return Results.Json(new JsonObject
        {
            ["members"] = new JsonArray([.. rows.Where(r => r.Json is not ("null" or "false")).Select(r => (JsonNode)new JsonObject
            {
                ["profile"] = r.ProfileId,
                ["value"] = JsonNode.Parse(r.Json),
                ["since"] = IsoTimestamp.Format(r.ChangedAt),
            })]),
            ["next"] = rows.Count == limit ? rows[^1].ProfileId : null,
        });
    }

    private static IResult Why(string id, HttpContext http, IProfileStore store)
    {
        if (http.RequestServices.GetService<Engagement>() is not { } engagement)
        {
            return IdentitySettingsEndpoints.IdentityOff();
        }

        if (store.Find(id) is not { } profile)
        {
            return AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no profile {id}");
        }

        var definitions = engagement.Current(store);
        var layout = StateLayout.For(definitions, store.EngageAggregates());
        var state = ProfileState.Read(layout, store.EngageStateOf(profile));
        var traits = store.TraitsOf(profile);
        var types = store.ExternalIdsOf(profile).Select(e => e.Identifier.Type).ToHashSet(StringComparer.Ordinal);
        var explained = new ProfileEvaluator(layout).Explain(state, key => traits.TryGetValue(key, out var json) ? JsonNode.Parse(json) : null, types, engagement.Now);
        return Results.Json(new JsonObject
        {
            ["profile"] = profile,
            ["at"] = IsoTimestamp.Format(engagement.Now),
            ["stored"] = new JsonObject([.. store.EngageValuesOf(profile).Select(v => KeyValuePair.Create(v.Key, JsonNode.Parse(v.Value)))]),
            ["definitions"] = explained,
        });
    }

    private static async Task<IResult> CreateAsync(HttpContext http, string kind) => await EditAsync(http, kind, key: null);

    private static async Task<IResult> UpdateAsync(string key, HttpContext http, IProfileStore store)
    {
        if (http.RequestServices.GetService<Engagement>() is not { } engagement)
        {
            return IdentitySettingsEndpoints.IdentityOff();
        }

        var existing = engagement.Current(store);
        var kind = existing.Traits.Any(t => t.Key == key) ? EngageDefinitionInput.Trait : existing.Audiences.Any(a => a.Key == key) ? EngageDefinitionInput.Audience : null;
        return kind is null ? NotFound(key) : await EditAsync(http, kind, key);
    }

    private static async Task<IResult> EditAsync(HttpContext http, string kind, string? key)
    {
        if (http.RequestServices.GetService<EngageDefinitionsEditor>() is not { } editor)
        {
            return IdentitySettingsEndpoints.IdentityOff();
        }

        var body = await Destinations.DestinationEndpoints.ReadObjectAsync(http);
        if (body is null)
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_definition", "the body must be a JSON object: name, query, and optionally key, includeAnonymous, destinations");
        }

        if (key is not null)
        {
            body["key"] ??= key;
        }

        var (input, problems) = EngageDefinitionInput.FromJson(body, kind);
        if (input is null)
        {
            return Invalid(problems);
        }

        try
        {
            var actor = http.Items[AdminEndpoints.ActorKey] as string ?? "";
            var saved = key is null ? editor.Create(input, actor) : editor.Update(key, input, actor);
            var engagement = http.RequestServices.GetRequiredService<Engagement>();
            var store = http.RequestServices.GetRequiredService<IProfileStore>();
            var described = Describer(engagement, store, engagement.Current(store))(saved.Key);
            return key is null ? Results.Json(described, statusCode: StatusCodes.Status201Created) : Results.Json(described);
        }
        catch (EngageEditRefusedException refused)
        {
            return refused.Status == StatusCodes.Status400BadRequest
                ? Invalid(refused.Problems)
                : AdminResults.Error(refused.Status, refused.Code, refused.Message);
        }
    }

    private static IResult Delete(string key, HttpContext http)
    {
        if (http.RequestServices.GetService<EngageDefinitionsEditor>() is not { } editor)
        {
            return IdentitySettingsEndpoints.IdentityOff();
        }

        try
        {
            editor.Delete(key);
            return Results.NoContent();
        }
        catch (EngageEditRefusedException refused)
        {
            return AdminResults.Error(refused.Status, refused.Code, refused.Message);
        }
    }

    private static async Task<IResult> PreviewAsync(HttpContext http)
    {
        if (http.RequestServices.GetService<EngagePreview>() is not { } preview)
        {
            return IdentitySettingsEndpoints.IdentityOff();
        }

        var body = await Destinations.DestinationEndpoints.ReadObjectAsync(http);
        var kind = (body?["kind"] as JsonValue)?.TryGetValue<string>(out var text) == true ? text : null;
        if (body is null || kind is not (EngageDefinitionInput.Trait or EngageDefinitionInput.Audience))
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_definition", "the body is a definition with its kind: {\"kind\": \"audience\" or \"trait\", \"query\": …, \"includeAnonymous\": …, \"key\": the key of the definition it would change}");
        }

        body.Remove("kind");
        body["name"] ??= (body["key"] as JsonValue)?.ToString() ?? "preview";
        var (input, problems) = EngageDefinitionInput.FromJson(body, kind);
        return input is null ? Invalid(problems) : Results.Json(preview.Run(input));
    }

    /// <summary>What the list and the pages show of a definition.</summary>
    private static Func<string, JsonObject> Describer(Engagement engagement, IProfileStore store, EngageDefinitions definitions)
    {
        var aggregates = store.EngageAggregates();
        var backfilling = engagement.Backfilling(aggregates, definitions, store.EngageEvaluated());
        // Read after the status: a definition said live has its values of the step that made it live (read
        // before, a backfill's last step could come in between, and a live audience show no member).
        var sizes = store.EngageSizes();
        var stored = store.StoredEngageDefinitions().ToDictionary(d => d.Key, StringComparer.Ordinal);
        return key =>
        {
            var trait = definitions.Traits.FirstOrDefault(t => t.Key == key);
            var audience = definitions.Audiences.FirstOrDefault(a => a.Key == key);
            var used = trait is not null ? [trait.Aggregate] : EngageDefinitions.EventConditions(audience!.Condition).Select(c => c.Aggregate).ToList();
            var size = sizes.GetValueOrDefault(key);
            var saved = stored.GetValueOrDefault(key);
            var input = new EngageDefinitionInput(trait is null ? EngageDefinitionInput.Audience : EngageDefinitionInput.Trait, key, trait?.Name ?? audience!.Name,
                trait?.Query ?? audience!.Query, trait?.IncludeAnonymous ?? audience!.IncludeAnonymous, trait?.Destinations ?? audience!.Destinations);
            return new JsonObject
            {
                ["key"] = key,
                ["kind"] = input.Kind,
                ["name"] = input.Name,
                ["query"] = input.Query,
                ["includeAnonymous"] = input.IncludeAnonymous,
                ["destinations"] = input.DestinationsJson(),
                ["managedBy"] = engagement.Source.File.Defines(key) ? "workspace-file" : "api",
                ["status"] = backfilling.Contains(key) ? "backfilling" : "live",
                ["progress"] = backfilling.Contains(key) ? EngageBackfill.Progress(used, aggregates) : null,
                ["size"] = size?.Profiles ?? 0,
                ["lastChangeAt"] = size?.LastChangeAt is { } at ? IsoTimestamp.Format(at) : null,
                ["updatedAt"] = saved is null ? null : IsoTimestamp.Format(saved.UpdatedAt),
                ["updatedBy"] = saved?.Actor,
            };
        };
    }

    private static IEnumerable<EngageConnection> ConnectionsOf(EngageDefinitions definitions, string key) =>
        definitions.Connections.Where(c => c.Key == key).Select(c => c.Connection);

    private static IResult NotFound(string key) => AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no computed trait or audience '{key}'");

    private static IResult Invalid(IReadOnlyList<EngageProblem> problems) =>
        Destinations.DestinationEndpoints.Invalid([.. problems.Select(p => new DestinationProblem(p.Field, p.Message))], "invalid_definition");
}
