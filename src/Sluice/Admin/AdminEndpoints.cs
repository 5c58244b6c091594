using System.Text.Json;
using Sluice.EventLog;
using Sluice.Routing;
using Sluice.Spec;
using Sluice.Storage;
using Sluice.Storage.Sqlite;
using Sluice.Workspace;

namespace Sluice.Admin;

/// <summary>The Admin API (<c>/api/v1</c>, bearer tokens). The debugger's event list is its first endpoint.</summary>
internal static class AdminEndpoints
{
    public const int DefaultEventLimit = 100;
    public const int MaxEventLimit = 10_000;

    /// <summary>The most bytes of messages one page of the debugger's events holds (at least one message).</summary>
    public const int MaxEventPageBytes = 1024 * 1024;

    /// <summary>Where the request's role is kept for the endpoint (secrets are masked for read-only tokens).</summary>
    public const string RoleKey = "sluice.role";

    /// <summary>Who the request's token is (<see cref="AdminTokens.Actor"/>), for what logs who did a thing.</summary>
    public const string ActorKey = "sluice.actor";

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1").AddEndpointFilter(RequireToken);
        var read = api.MapGroup("").WithMetadata(new RequiresPermission(Permission.Read));
        var write = api.MapGroup("").WithMetadata(new RequiresPermission(Permission.Write));
        read.MapGet("/me", (HttpContext http) => Results.Json(new { role = http.Items[RoleKey] as string }));
        read.MapGet("/sources/{id}/events", ListEvents);
        read.MapGet("/destinations/{id}/deliveries", ListDeliveries);
        read.MapGet("/destinations/{id}/stats", DeliveryStats);
        read.MapGet("/destinations/{id}/stats/timeline", DeliveryTimeline);
        write.MapPost("/destinations/{id}/replay", Replay);
        read.MapGet("/destinations/{id}/authentication", AuthenticationStatus);
        Tokens.TokenEndpoints.Map(api.MapGroup("/tokens").WithMetadata(new RequiresPermission(Permission.ManageTokens)));
        Catalog.CatalogEndpoints.Map(read.MapGroup("/catalog"));
        Destinations.DestinationEndpoints.Map(read, write);
        Destinations.MappingAndFilterEndpoints.Map(read, write);
        Mappings.MappingTestEndpoint.Map(write);
        LiveEventsEndpoint.Map(read);
        Cluster.ClusterEndpoints.Map(read);
        Profiles.ProfileApi.MapProfileApi(endpoints);
        Profiles.ProfileExplorerEndpoints.Map(read, write);
        Profiles.IdentitySettingsEndpoints.Map(read, write);
        Engage.EngageEndpoints.Map(read, write);
        var privacy = api.MapGroup("").WithMetadata(new RequiresPermission(Permission.Privacy));
        Privacy.RegulationEndpoints.Map(privacy);
        Privacy.RetentionEndpoints.Map(read, privacy);
        return endpoints;
    }

    private static async ValueTask<object?> RequireToken(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        // Answers hold write keys and events: no cache, shared or private, may keep them.
        http.Response.Headers.CacheControl = "no-store";
        var header = http.Request.Headers.Authorization.ToString();
        var tokens = http.RequestServices.GetRequiredService<AdminTokens>();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || tokens.Authenticate(header[7..].Trim()) is not { Role: var role } token)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return AdminResults.Error(StatusCodes.Status401Unauthorized, "unauthorized", "an admin token is required: Authorization: Bearer <token>");
        }

        // The most specific declaration wins: a group's own permission over the API's default.
        var needed = http.GetEndpoint()?.Metadata.GetOrderedMetadata<RequiresPermission>().LastOrDefault()?.Permission ?? Permission.Write;
        if (!Roles.Allows(role, needed))
        {
            return AdminResults.Error(StatusCodes.Status403Forbidden, "forbidden", $"this token's role ({Roles.Normalize(role)}) lacks the permission '{Roles.Name(needed)}'");
        }

        http.Items[RoleKey] = Roles.Normalize(role);
        http.Items[ActorKey] = AdminTokens.Actor(token);
        if (await AdminRequestBody.CheckAsync(http) is { } refused)
        {
            return refused;
        }

        // Every request sees the workspace as the store has it now, changes of other nodes included.
        http.RequestServices.GetRequiredService<Workspace.WorkspaceChanges>().Refresh();
        var result = await next(invocation);
        // And this node's own change reaches its caches before the answer: the next request sees it.
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            http.RequestServices.GetRequiredService<Workspace.WorkspaceChanges>().Refresh();
        }

        return result;
    }

    private static IResult ListDeliveries(HttpContext http, string id, RoutingTable table, IDeliveryStore deliveries)
    {
        if (table.Find(id) is null)
        {
            return AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no destination has the id '{id}'");
        }

        if (ReadLimit(http) is not { } limit)
        {
            return InvalidLimit;
        }

        DeliveryStatus? status = null;
        if (http.Request.Query.TryGetValue("status", out var statusText))
        {
            if (ParseStatus(statusText) is not { } parsed)
            {
                return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_status", "status must be one of pending, retrying, delivered, failed, skipped, filtered");
            }

            status = parsed;
        }

        var records = deliveries.List(id, status, limit);
        return Results.Json(new
        {
            deliveries = records.Select(r => new
            {
                r.MessageId,
                r.Mapping,
                r.Action,
                Status = r.Status.Name(),
                r.Attempts,
                r.HttpStatus,
                r.Response,
                r.Reason,
                CreatedAt = IsoTimestamp.Format(r.CreatedAt),
                UpdatedAt = IsoTimestamp.Format(r.UpdatedAt),
                NextAttemptAt = r.NextAttemptAt is { } next ? IsoTimestamp.Format(next) : null,
            }),
        });
    }

    /// <summary>The last check of the destination's credentials with its service, if its definition can check them.</summary>
    private static IResult AuthenticationStatus(string id, RoutingTable table, IWorkspaceStore store)
    {
        if (table.Find(id) is not { } destination)
        {
            return AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no destination has the id '{id}'");
        }

        if (destination.Definition.TestAuthentication is null)
        {
            return Results.Json(new { supported = false, message = $"{destination.Definition.Name} has no way to test credentials" });
        }

        // A check of other settings (changed since, and not checked yet: a disabled destination, or start-up under way) says nothing about these.
        return store.ReadAuthenticationCheck(id) is { } check && (check.Fingerprint is null || check.Fingerprint == Delivery.AuthenticationChecker.Fingerprint(destination))
            ? Results.Json(new { supported = true, @checked = true, valid = check.Valid, message = check.Message, checkedAt = IsoTimestamp.Format(check.CheckedAt) })
            : Results.Json(new { supported = true, @checked = false });
    }

    /// <summary>
    /// Deliveries by status per hour (or <c>bucketMinutes</c>) over the last <c>hours</c> (default 24),
    /// each counted in the bucket of its last change: the delivery overview's chart.
    /// </summary>
    private static IResult DeliveryTimeline(HttpContext http, string id, RoutingTable table, IDeliveryStore deliveries, TimeProvider time)
    {
        if (table.Find(id) is null)
        {
            return AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no destination has the id '{id}'");
        }

        var hours = int.TryParse(http.Request.Query["hours"], out var h) ? h : 24;
        var minutes = int.TryParse(http.Request.Query["bucketMinutes"], out var m) ? m : 60;
        if (hours is < 1 or > 24 * 30 || minutes is < 1 or > 24 * 60 || hours * 60 / minutes > 2_000)
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_range", "hours must be 1–720 and bucketMinutes 1–1440, with at most 2,000 buckets");
        }

        var bucket = minutes * 60_000L;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var first = ((now - (hours * 3_600_000L)) / bucket + 1) * bucket;
        var counts = deliveries.Timeline(id, first, bucket).ToLookup(r => r.BucketStart);
        var buckets = new List<Dictionary<string, object>>();
        for (var start = first; start <= now; start += bucket)
        {
            var row = new Dictionary<string, object> { ["start"] = IsoTimestamp.Format(start) };
            foreach (var status in Enum.GetValues<DeliveryStatus>())
            {
                row[status.Name()] = counts[start].Where(c => c.Status == status).Sum(c => c.Count);
            }

            buckets.Add(row);
        }

        return Results.Json(new { bucketMinutes = minutes, buckets });
    }

    private static IResult DeliveryStats(string id, RoutingTable table, IDeliveryStore deliveries)
    {
        if (table.Find(id) is null)
        {
            return AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no destination has the id '{id}'");
        }

        var stats = deliveries.Stats(id);
        return Results.Json(stats.ToDictionary(s => s.Key.Name(), s => s.Value));
    }

    private static async Task<IResult> Replay(HttpContext http, string id, RoutingTable table, IDeliveryStore deliveries, TimeProvider time, Delivery.Dispatcher dispatcher)
    {
        if (table.Find(id) is null)
        {
            return AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no destination has the id '{id}'");
        }

        ReplayRequest request;
        try
        {
            // Read as JSON whatever the Content-Type says, like the Tracking API: curl -d sends form-urlencoded.
            request = http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0
                ? await JsonSerializer.DeserializeAsync<ReplayRequest>(http.Request.Body, JsonSerializerOptions.Web) ?? new ReplayRequest()
                : new ReplayRequest();
        }
        catch (JsonException exception)
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_body", $"the body must be {{\"status\", \"since\", \"until\"}}: {exception.Message}");
        }

        var statusText = request.Status ?? "failed";
        if (ParseStatus(statusText) is not { } status || status is DeliveryStatus.Pending or DeliveryStatus.Retrying)
        {
            return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_status", "status must be one of failed, skipped, filtered, delivered");
        }

        // Sending again what was delivered reaches every receiver twice: an owner's decision.
        if (status == DeliveryStatus.Delivered && http.Items[RoleKey] as string != Roles.Owner)
        {
            return Destinations.DestinationEndpoints.OwnersOnly("status", "replaying delivered deliveries");
        }

        long? since = null, until = null;
        if (request.Since is { } s)
        {
            if (!IsoTimestamp.TryParseMilliseconds(s, out var ms))
            {
                return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_since", "since must be an ISO-8601 date-time");
            }

            since = ms;
        }

        if (request.Until is { } u)
        {
            if (!IsoTimestamp.TryParseMilliseconds(u, out var ms))
            {
                return AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_until", "until must be an ISO-8601 date-time");
            }

            until = ms;
        }

        var requeued = deliveries.Requeue(id, status, since, until, time.GetUtcNow().ToUnixTimeMilliseconds());
        dispatcher.Notify();
        return Results.Json(new { requeued }, statusCode: StatusCodes.Status202Accepted);
    }

    private static readonly IResult InvalidLimit =
        AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_limit", $"limit must be a whole number from 1 to {MaxEventLimit}");

    private static int? ReadLimit(HttpContext http) => AdminQuery.Limit(http, DefaultEventLimit, MaxEventLimit);

    /// <summary>A status by its name (any case); numbers, which Enum.TryParse would take, are not names.</summary>
    private static DeliveryStatus? ParseStatus(string? text) =>
        !int.TryParse(text, out _) && Enum.TryParse<DeliveryStatus>(text, ignoreCase: true, out var status) && Enum.IsDefined(status) ? status : null;

    private sealed record ReplayRequest(string? Status = null, string? Since = null, string? Until = null);

    private static async Task ListEvents(HttpContext http, string id, SourceRegistry sources, IEventLog events)
    {
        if (ReadLimit(http) is not { } limit)
        {
            await InvalidLimit.ExecuteAsync(http);
            return;
        }

        if (sources.FindById(id) is null)
        {
            await AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no source has the id '{id}'").ExecuteAsync(http);
            return;
        }

        EventPosition? before = null;
        if (http.Request.Query.TryGetValue("before", out var cursor))
        {
            if (!EventPosition.TryParse(cursor, out var position))
            {
                await AdminResults.Error(StatusCodes.Status400BadRequest, "invalid_cursor", "before must be the next cursor of a previous page").ExecuteAsync(http);
                return;
            }

            before = position;
        }

        // Bounded by bytes as well as by count: a page of large messages must not hold the server's memory.
        var page = events.ReadNewest(id, limit, before, MaxEventPageBytes);
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteStartArray("events");
        foreach (var body in page.Messages)
        {
            json.WriteRawValue(body, skipInputValidation: true);
        }

        json.WriteEndArray();
        if (page.Next is { } next)
        {
            json.WriteString("next", next.ToString());
        }

        json.WriteEndObject();
    }
}

internal static class AdminResults
{
    public static IResult Error(int status, string code, string message) =>
        Results.Json(new { error = new { code, message } }, statusCode: status);
}
