using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Delivery;
using Sluice.Destinations;
using Sluice.Routing;
using Sluice.Storage;
using Sluice.Workspace;

namespace Sluice.Admin.Destinations;

/// <summary>
/// <c>GET /api/v1/sources</c> and <c>/api/v1/destinations</c>: what the workspace holds, each resource
/// marked with who manages it. Secret settings are never returned; a read-only token also sees
/// write keys masked.
/// </summary>
internal static class DestinationEndpoints
{
    public const string Mask = SecretMask.Mask;
    public const string ManagedByFile = "workspace-file";

    public static void Map(RouteGroupBuilder read, RouteGroupBuilder write)
    {
        write.MapPost("/destinations", CreateAsync);
        write.MapPatch("/destinations/{id}", UpdateAsync);
        write.MapDelete("/destinations/{id}", (string id, ApiDestinations destinations) =>
            destinations.IsManagedByFile(id) ? ManagedByFileError(id)
            : destinations.Delete(id) ? Results.NoContent()
            : AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no destination has the id '{id}'"));
        read.MapGet("/sources", (HttpContext http, SourceRegistry sources) => Results.Json(new
        {
            sources = sources.AllStored.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => DescribeSource(s, IsReadOnly(http))),
        }));
        read.MapGet("/sources/{id}", (string id, HttpContext http, SourceRegistry sources) => sources.Stored(id) is { } source
            ? Results.Json(DescribeSource(source, IsReadOnly(http)))
            : AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no source has the id '{id}'"));
        read.MapGet("/sources/{id}/snippet", (string id, HttpContext http, SourceRegistry sources) => sources.Stored(id) is { } source
            ? Results.Json(new
            {
                snippet = Browser.LibraryEndpoints.Snippet(http.Request.Host.Value ?? "127.0.0.1", http.Request.Scheme, IsReadOnly(http) ? Mask : source.WriteKey),
                analyticsNextVersion = Browser.LibraryEndpoints.Version,
            })
            : AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no source has the id '{id}'"));
        write.MapPost("/sources", async (HttpContext http, ApiSources sources) =>
        {
            var body = await ReadObjectAsync(http);
            if (ReadOrigins(body?["allowedOrigins"], out var origins) is { } badOrigins)
            {
                return Invalid([badOrigins], "invalid_source");
            }

            var (source, problem) = sources.Create(Text(body?["id"]), Text(body?["name"]), origins);
            return source is null ? Invalid([problem!], "invalid_source") : Results.Json(DescribeSource(source, hideKey: false), statusCode: StatusCodes.Status201Created);
        });
        write.MapPatch("/sources/{id}", async (string id, HttpContext http, SourceRegistry registry, ApiSources sources) =>
        {
            if (SourceRefusal(id, registry) is { } refusal)
            {
                return refusal;
            }

            var body = await ReadObjectAsync(http);
            var name = Text(body?["name"]);
            var changeOrigins = body?.ContainsKey("allowedOrigins") == true;
            if (ReadOrigins(body?["allowedOrigins"], out var origins) is { } badOrigins)
            {
                return Invalid([badOrigins], "invalid_source");
            }

            return (name is null && !changeOrigins) || (name is not null && string.IsNullOrWhiteSpace(name))
                ? Invalid([new DestinationProblem("name", "give a name (not blank), allowedOrigins, or both")], "invalid_source")
                : Results.Json(DescribeSource(sources.Change(id, name, changeOrigins, origins)!, hideKey: false));
        });
        write.MapPost("/sources/{id}/rotate-write-key", async (string id, HttpContext http, SourceRegistry registry, ApiSources sources) =>
        {
            if (SourceRefusal(id, registry) is { } refusal)
            {
                return refusal;
            }

            var grace = (await ReadObjectAsync(http))?["graceHours"];
            var hours = grace is null ? 24 : grace is JsonValue v && v.TryGetValue<double>(out var h) ? h : -1;
            if (hours is < 0 or > 24 * 30)
            {
                return Invalid([new DestinationProblem("graceHours", "the old key may stay valid for 0 to 720 hours (a number)")], "invalid_source");
            }

            // Ending the old key at once cuts off every client that has it: an owner's decision.
            return hours < 1 && http.Items[AdminEndpoints.RoleKey] as string != Roles.Owner
                ? OwnersOnly("graceHours", "a rotation that ends the old key within the hour (graceHours below 1)")
                : Results.Json(DescribeSource(sources.Rotate(id, TimeSpan.FromHours(hours))!, hideKey: false));
        });
        write.MapDelete("/sources/{id}", (string id, SourceRegistry registry, ApiSources sources) =>
        {
            if (SourceRefusal(id, registry) is { } refusal)
            {
                return refusal;
            }

            var (deleted, usedBy) = sources.Delete(id);
            return deleted ? Results.NoContent()
                : AdminResults.Error(StatusCodes.Status409Conflict, "source_in_use", $"destinations read from source '{id}': {string.Join(", ", usedBy)}; disconnect them first");
        });
        read.MapGet("/destinations", (ApiDestinations destinations, RoutingTable table) =>
            Results.Json(new { destinations = destinations.All().Select(d => Describe(d.Instance, table, d.ManagedBy)) }));
        read.MapGet("/destinations/{id}", (string id, ApiDestinations destinations, RoutingTable table) =>
            destinations.All().FirstOrDefault(d => d.Instance.Id == id) is { Instance: not null } found
                ? Results.Json(Describe(found.Instance, table, found.ManagedBy))
                : AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no destination has the id '{id}'"));
    }

    internal static IResult ManagedByFileError(string id, string kind = "destination") =>
        AdminResults.Error(StatusCodes.Status409Conflict, "managed_by_file", $"{kind} '{id}' is declared in the workspace file; change it there (the file is applied at start-up)");

    private static async Task<IResult> CreateAsync(HttpContext http, ApiDestinations destinations, RoutingTable table, AuthenticationChecker checker)
    {
        if (await ReadObjectAsync(http) is not { } body)
        {
            return Invalid([new DestinationProblem("", "the body must be a JSON object: {id, type, sources, settings, presets, mappings, filters, …}")]);
        }

        if (Text(body["id"]) is { } id && destinations.IsManagedByFile(id))
        {
            return ManagedByFileError(id);
        }

        var type = Text(body["type"]) is { } slug ? http.RequestServices.GetRequiredService<DestinationCatalog>().Find(slug) : null;
        if (await RefuseInternalTargetsAsync(http, DestinationTargets.InBody(body["settings"] as JsonObject, MappingsOf(body), type)) is { } refused)
        {
            return refused;
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

        if (await RefuseInternalTargetsAsync(http, DestinationTargets.InBody(body["settings"] as JsonObject, MappingsOf(body), table.Find(id)?.Definition)) is { } refused)
        {
            return refused;
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
        // A disabled destination is not asked about (as at start-up); enabling it later checks it.
        if (instance.Enabled && table.Find(instance.Id) is { } routed && await checker.CheckAsync(routed, force: false, cancellation) is { } check)
        {
            result["authentication"] = new JsonObject { ["valid"] = check.Valid, ["message"] = check.Message };
        }

        return result;
    }

    internal static IResult OwnersOnly(string field, string what) => Results.Json(
        new { error = new { code = "forbidden", field, rule = "owner_only", message = $"{what} is for workspace owners" } },
        statusCode: StatusCodes.Status403Forbidden);

    private static IEnumerable<(string Path, JsonNode? Mapping)> MappingsOf(JsonObject body) =>
        body["mappings"] is JsonArray mappings ? mappings.Select((m, i) => ($"mappings[{i}].mapping", m?["mapping"])) : [];

    /// <summary>
    /// 403 when a URL the request sets is, or resolves to, a loopback, link-local or private address
    /// and the asker may not aim destinations there: members always, everyone with <c>--destination-hosts public</c>.
    /// </summary>
    internal static async Task<IResult?> RefuseInternalTargetsAsync(HttpContext http, IEnumerable<(string Field, string Url)> urls)
    {
        var hosts = http.RequestServices.GetRequiredService<DeliveryOptions>().Hosts;
        var owner = http.Items[AdminEndpoints.RoleKey] as string == Roles.Owner;
        if (hosts == DestinationHosts.Any && owner)
        {
            return null;
        }

        if (await DestinationTargets.FindPrivateAsync(urls, http.RequestAborted) is not { } target)
        {
            return null;
        }

        var who = hosts == DestinationHosts.Public
            ? "this server delivers to public addresses only (--destination-hosts public)"
            : "only workspace owners may aim destinations at loopback, link-local or private addresses";
        return Results.Json(
            new { error = new { code = "forbidden", field = target.Field, rule = "private_host", message = $"{target.Field}: {target.Host} is {target.Kind} ({target.Address}); {who}" } },
            statusCode: StatusCodes.Status403Forbidden);
    }

    /// <summary>The request body as a JSON object, or null when it is not one (whatever the Content-Type says).</summary>
    internal static async Task<JsonObject?> ReadObjectAsync(HttpContext http)
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

    private static string? Text(JsonNode? node) => Actions.Mapping.JsValues.IsString(node, out var text) ? text : null;

    internal static IResult Invalid(IReadOnlyList<DestinationProblem> problems, string code = "invalid_destination") => Results.Json(
        new { error = new { code, message = string.Join("; ", problems.Select(p => p.Field.Length == 0 ? p.Message : $"{p.Field}: {p.Message}")), problems = problems.Select(p => new { field = p.Field, message = p.Message }) } },
        statusCode: StatusCodes.Status400BadRequest);

    private static IResult? SourceRefusal(string id, SourceRegistry registry) => registry.Stored(id) switch
    {
        null => AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no source has the id '{id}'"),
        { ManagedBy: SourceManagement.WorkspaceFile } => ManagedByFileError(id, "source"),
        _ => null,
    };

    private static object DescribeSource(StoredSource source, bool hideKey) => new
    {
        id = source.Id,
        name = source.Name,
        writeKey = hideKey ? Mask : source.WriteKey,
        previousWriteKeyValidUntil = source.PreviousValidUntil is { } until ? Spec.IsoTimestamp.Format(until) : null,
        allowedOrigins = source.AllowedOrigins,
        managedBy = source.ManagedBy,
    };

    /// <summary>A body's <c>allowedOrigins</c>: a list of origins, or null (any origin). Returns the problem, if any.</summary>
    private static DestinationProblem? ReadOrigins(JsonNode? node, out List<string>? origins)
    {
        origins = null;
        if (node is null)
        {
            return null;
        }

        if (node is not JsonArray list)
        {
            return new DestinationProblem("allowedOrigins", "must be a list of origins, or null for any origin");
        }

        origins = [];
        for (var i = 0; i < list.Count; i++)
        {
            if (!WebOrigins.TryNormalize(Text(list[i]), out var origin))
            {
                return new DestinationProblem($"allowedOrigins[{i}]", WebOrigins.NotAnOrigin(Text(list[i])));
            }

            origins.Add(origin);
        }

        return null;
    }

    public static bool IsReadOnly(HttpContext http) => http.Items[AdminEndpoints.RoleKey] as string == Roles.ReadOnly;

    /// <summary>A destination as the API shows it: secret settings masked, presets listed with the mappings they add.</summary>
    public static JsonObject Describe(DestinationInstance destination, RoutingTable table, string managedBy)
    {
        var definition = table.Catalog.Find(destination.Type);
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
            ["ordered"] = destination.Ordered,
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
