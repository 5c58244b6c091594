using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Fql;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;
using Sluice.Admin.Destinations;
using Sluice.Delivery;
using Sluice.Destinations;
using Sluice.Routing;

namespace Sluice.Admin.Mappings;

/// <summary>
/// <c>POST /api/v1/mappings/test</c>: runs a trigger and a mapping on a sample event and shows the
/// exact requests the action would send, without sending them, or with <c>send: true</c> sends them
/// and shows the answers. Secrets (the destination's secret settings, and credentials in
/// <c>Authorization</c>) are masked in what it shows.
/// </summary>
internal static class MappingTestEndpoint
{
    public static void Map(RouteGroupBuilder write) => write.MapPost("/mappings/test", TestAsync);

    private static async Task<IResult> TestAsync(HttpContext http, RoutingTable table, DestinationHttp sender)
    {
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonObject;
        }
        catch (JsonException exception)
        {
            return Invalid("body", $"not valid JSON: {exception.Message}");
        }

        if (body is null)
        {
            return Invalid("body", "must be a JSON object: {destination or type, action, trigger, mapping, event}");
        }

        // The destination's settings when it names one; otherwise a catalog type and the settings given.
        DestinationDefinition? definition;
        JsonObject settings;
        if ((string?)body["destination"] is { } destinationId)
        {
            if (table.Find(destinationId) is not { } destination)
            {
                return Invalid("destination", $"no destination has the id '{destinationId}'");
            }

            (definition, settings) = (destination.Definition, destination.Settings);
        }
        else
        {
            definition = (string?)body["type"] is { } type ? table.Catalog.Find(type) : null;
            if (definition is null)
            {
                return Invalid("type", $"give a destination id, or a catalog type: {string.Join(", ", table.Catalog.All.Select(d => d.Slug).Order())}");
            }

            settings = body["settings"] as JsonObject ?? [];
        }

        if ((string?)body["action"] is not { } actionSlug || !definition.Actions.TryGetValue(actionSlug, out var action))
        {
            return Invalid("action", $"{definition.Name} has the actions: {string.Join(", ", definition.Actions.Keys)}");
        }

        if (body["event"] is not JsonObject sample)
        {
            return Invalid("event", "a sample event (a Segment message, as a JSON object) is required");
        }

        var triggerText = (string?)body["trigger"];
        FqlExpression? trigger = null;
        if (triggerText is not null && !FqlExpression.TryCompile(triggerText, out trigger, out var triggerError))
        {
            return Invalid("trigger", triggerError.Message, new JsonObject { ["position"] = triggerError.Position });
        }

        CompiledMapping mapping;
        try
        {
            mapping = CompiledMapping.Compile(body["mapping"] ?? action.DefaultMapping());
        }
        catch (MappingValidationException exception)
        {
            return Invalid("mapping", exception.Message);
        }

        using var document = JsonDocument.Parse(sample.ToJsonString());
        var matched = trigger?.Matches(document.RootElement) ?? true;
        var result = new JsonObject { ["matched"] = matched };
        if (trigger is { Warnings.Count: > 0 })
        {
            result["triggerWarnings"] = new JsonArray([.. trigger.Warnings.Select(w => JsonValue.Create(w.ToString()))]);
        }

        if (!matched)
        {
            return Results.Json(result);
        }

        IReadOnlyList<OutgoingRequest> requests;
        try
        {
            var payload = action.PreparePayload(mapping, document.RootElement);
            result["payload"] = payload.DeepClone();
            requests = action.Perform(new ActionInput(payload, settings, (string?)sample["messageId"] ?? "test"));
        }
        catch (DeliverySkippedException exception)
        {
            result["skipped"] = exception.Message;
            return Results.Json(result);
        }
        catch (MappingTransformException exception)
        {
            result["error"] = exception.Message;
            return Results.Json(result);
        }

        var secrets = new SecretMask(settings, definition);
        result["requests"] = new JsonArray([.. requests.Select(r => (JsonNode)Show(r, secrets))]);
        if (body["send"] is JsonValue send && send.TryGetValue<bool>(out var shouldSend) && shouldSend)
        {
            if (await DestinationEndpoints.RefuseInternalTargetsAsync(http, requests.Select((r, i) => ($"requests[{i}].url", r.Url.AbsoluteUri))) is { } refused)
            {
                return refused;
            }

            var answers = new JsonArray();
            // Reading a service's answer back is reading whatever a URL serves: a member could aim it at internal services.
            var showBody = http.Items[AdminEndpoints.RoleKey] as string == Roles.Owner;
            foreach (var request in requests)
            {
                var answer = await sender.SendAsync(request, http.RequestAborted);
                var shown = new JsonObject { ["status"] = answer.Status, ["summary"] = secrets.Hide(answer.Summary), ["body"] = showBody ? secrets.HideOrNull(answer.Body) : null };
                if (!showBody && answer.Body is not null)
                {
                    shown["bodyHidden"] = "the answer's body is shown to workspace owners only";
                }

                answers.Add(shown);
                if (!answer.Succeeded)
                {
                    break;
                }
            }

            result["responses"] = answers;
        }

        return Results.Json(result);
    }

    private static IResult Invalid(string field, string message, JsonObject? more = null)
    {
        var error = new JsonObject { ["code"] = "invalid_test", ["field"] = field, ["message"] = message };
        foreach (var (key, value) in more ?? [])
        {
            error[key] = value?.DeepClone();
        }

        return Results.Json(new JsonObject { ["error"] = error }, statusCode: StatusCodes.Status400BadRequest);
    }

    private static JsonObject Show(OutgoingRequest request, SecretMask secrets)
    {
        var headers = new JsonObject();
        foreach (var (name, value) in request.Headers)
        {
            // Credentials are shown by their scheme only: a Basic header holds the key (base64 for some services).
            headers[name] = name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
                ? (value.IndexOf(' ', StringComparison.Ordinal) is > 0 and var space ? value[..space] + " " : "") + DestinationEndpoints.Mask
                : secrets.Hide(value);
        }

        var text = request.Body is null ? null : Encoding.UTF8.GetString(request.Body);
        JsonNode? json = null;
        if (text is not null)
        {
            try
            {
                json = JsonNode.Parse(secrets.Hide(text));
            }
            catch (JsonException)
            {
            }
        }

        return new JsonObject
        {
            ["method"] = request.Method,
            ["url"] = secrets.Hide(request.Url.AbsoluteUri),
            ["headers"] = headers,
            ["body"] = json ?? (text is null ? null : JsonValue.Create(secrets.Hide(text))),
        };
    }
}
