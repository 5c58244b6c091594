using System.Text.Json.Nodes;
using Sluice.Privacy;
using Sluice.Privacy.Store;
using Sluice.Routing;
using Sluice.Spec;
using Sluice.Workspace;

namespace Sluice.Admin.Privacy;

/// <summary>
/// Privacy regulations through the Admin API, modelled on Segment's regulations API: make one (suppress,
/// unsuppress, delete with or without suppression), list them and read one with its status overall, in
/// Sluice's store and at each destination; the suppressed subjects, and whether one subject is.
/// </summary>
internal static class RegulationEndpoints
{
    private const int MaxLimit = 1_000;

    public static void Map(RouteGroupBuilder privacy)
    {
        privacy.MapPost("/regulations", (Delegate)CreateAsync);
        privacy.MapGet("/regulations", List);
        privacy.MapGet("/regulations/{id}", One);
        privacy.MapGet("/privacy/suppressed", Suppressed);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, Regulations regulations, RegulationStore store, RoutingTable table)
    {
        var body = await Destinations.DestinationEndpoints.ReadObjectAsync(http);
        if (body is null)
        {
            return Invalid(new RegulationProblem("", "object", "the body must be a JSON object: regulationType, subjectType, subjectIds"));
        }

        var type = Text(body["regulationType"]);
        var subjectType = Text(body["subjectType"]);
        var ids = body["subjectIds"] is JsonArray array ? array.Select(Text).ToList() : null;
        if (body["subjectIds"] is { } given && given is not JsonArray)
        {
            return Invalid(new RegulationProblem("subjectIds", "array", "subjectIds must be a list of ids"));
        }

        if (Regulations.Check(type, subjectType, ids) is { } problem)
        {
            return Invalid(problem);
        }

        var actor = http.Items[AdminEndpoints.ActorKey] as string ?? "";
        var made = regulations.Create(type!, subjectType!, [.. ids!.OfType<string>()], actor);
        http.Response.Headers.Location = $"/api/v1/regulations/{made.Id}";
        return Results.Json(Describe(made, store.RequestsOf(made.Id), table), statusCode: StatusCodes.Status201Created);
    }

    private static IResult List(HttpContext http, RegulationStore store, RoutingTable table)
    {
        if (AdminQuery.Limit(http, 100, MaxLimit) is not { } limit)
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "validation_error", $"limit must be a whole number from 1 to {MaxLimit}");
        }

        var requests = store.RequestsOfNewest(limit).ToLookup(r => r.RegulationId);
        return Results.Json(new JsonObject
        {
            ["regulations"] = new JsonArray([.. store.List(limit).Select(r => (JsonNode)Describe(r, [.. requests[r.Id]], table))]),
        });
    }

    private static IResult One(string id, RegulationStore store, RoutingTable table) => store.Find(id) is { } regulation
        ? Results.Json(Describe(regulation, store.RequestsOf(id), table))
        : AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no regulation has the id '{id}' (finished ones are kept {PrivacyWorker.RecordRetention.TotalDays:0} days)");

    /// <summary>The suppressed subjects (as hashes), or with subjectType and subjectId, whether that one subject is suppressed.</summary>
    private static IResult Suppressed(HttpContext http, RegulationStore store)
    {
        var query = http.Request.Query;
        if (query.ContainsKey("subjectId") || query.ContainsKey("subjectType"))
        {
            var subjectType = query["subjectType"].ToString();
            var subjectId = query["subjectId"].ToString();
            if (!Subject.Types.Contains(subjectType) || subjectId.Length == 0)
            {
                return Invalid(new RegulationProblem(Subject.Types.Contains(subjectType) ? "subjectId" : "subjectType", "required", $"to look one subject up, give subjectType (one of {string.Join(", ", Subject.Types)}) and subjectId"));
            }

            var found = store.FindSuppressed(new Subject(subjectType, subjectId).Hash);
            return Results.Json(new JsonObject
            {
                ["subjectType"] = subjectType,
                ["subjectId"] = subjectId,
                ["suppressed"] = found is not null,
                ["regulationId"] = found?.RegulationId,
                ["since"] = found is { } since ? IsoTimestamp.Format(since.Since) : null,
            });
        }

        if (AdminQuery.Limit(http, 100, MaxLimit) is not { } limit)
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "validation_error", $"limit must be a whole number from 1 to {MaxLimit}");
        }

        return Results.Json(new JsonObject
        {
            ["count"] = store.SuppressedCount(),
            ["suppressed"] = new JsonArray([.. store.Suppressed(limit).Select(s => (JsonNode)new JsonObject
            {
                ["hash"] = s.Hash,
                ["subjectType"] = s.SubjectType,
                ["regulationId"] = s.RegulationId,
                ["since"] = IsoTimestamp.Format(s.Since),
            })]),
        });
    }

    private static JsonObject Describe(StoredRegulation r, IReadOnlyList<DestinationRequest> requests, RoutingTable table) => new()
    {
        ["id"] = r.Id,
        ["regulationType"] = r.Type,
        ["subjectType"] = r.SubjectType,
        ["subjectIds"] = r.SubjectIds is null ? null : new JsonArray([.. r.SubjectIds.Select(id => (JsonNode)id)]),
        ["subjectHashes"] = new JsonArray([.. r.SubjectHashes.Select(h => (JsonNode)h)]),
        ["subjectCount"] = r.SubjectCount,
        ["status"] = RegulationStatuses.Overall(r, requests),
        ["createdAt"] = IsoTimestamp.Format(r.CreatedAt),
        ["finishedAt"] = r.FinishedAt is { } finished && !requests.Any(RegulationStatuses.IsWaiting) ? IsoTimestamp.Format(Math.Max(finished, requests.Select(q => q.UpdatedAt).DefaultIfEmpty(0).Max())) : null,
        ["actor"] = r.Actor,
        ["store"] = new JsonObject
        {
            ["status"] = r.StoreStatus,
            ["phase"] = r.Phase,
            ["waitingFor"] = r.WaitingFor,
            ["eventsErased"] = r.EventsErased,
            ["profilesErased"] = r.ProfilesErased,
            [r.Type == RegulationTypes.SuppressOnly ? "deliveriesCancelled" : "deliveriesErased"] = r.DeliveriesErased,
        },
        ["destinations"] = new JsonArray([.. requests.GroupBy(q => q.DestinationId).Select(g => (JsonNode)new JsonObject
        {
            ["destinationId"] = g.Key,
            ["name"] = table.Find(g.Key)?.Definition.Name,
            ["status"] = RegulationStatuses.OfDestination([.. g]),
            ["requests"] = new JsonArray([.. g.Select(q => (JsonNode)new JsonObject
            {
                ["subjectIndex"] = q.SubjectIndex,
                ["status"] = q.Status,
                ["attempts"] = q.Attempts,
                ["httpStatus"] = q.HttpStatus,
                ["response"] = q.Response,
                ["reason"] = q.Reason,
                ["nextAttemptAt"] = RegulationStatuses.IsWaiting(q) ? IsoTimestamp.Format(q.NextAttemptAt) : null,
                ["updatedAt"] = IsoTimestamp.Format(q.UpdatedAt),
            })]),
        })]),
    };

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static IResult Invalid(RegulationProblem problem) => Results.Json(
        new { error = new { code = "invalid_regulation", field = problem.Field, rule = problem.Rule, message = problem.Field.Length == 0 ? problem.Message : $"{problem.Field}: {problem.Message}" } },
        statusCode: StatusCodes.Status400BadRequest);
}
