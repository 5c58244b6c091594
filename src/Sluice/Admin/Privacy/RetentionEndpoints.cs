using System.Text.Json.Nodes;
using Sluice.Delivery;
using Sluice.EventLog;
using Sluice.Spec;
using Sluice.Workspace;

namespace Sluice.Admin.Privacy;

/// <summary>
/// Retention settings through the Admin API: how long raw events and delivery records are kept, by default and
/// per source and destination. Read with read; changed with privacy, unless the workspace file's
/// <c>retention:</c> section sets them.
/// </summary>
internal static class RetentionEndpoints
{
    public static void Map(RouteGroupBuilder read, RouteGroupBuilder privacy)
    {
        read.MapGet("/retention", Show);
        privacy.MapPut("/retention", (Delegate)SaveAsync);
    }

    private static IResult Show(RetentionSettingsSource source, EventLogOptions events, DeliveryOptions deliveries) =>
        Results.Json(Describe(source, events, deliveries));

    private static async Task<IResult> SaveAsync(HttpContext http, RetentionSettingsSource source, EventLogOptions events, DeliveryOptions deliveries, TimeProvider time)
    {
        if (source.FromFile is not null)
        {
            return AdminResults.Error(StatusCodes.Status409Conflict, "managed_by_file", "the workspace file's retention: section sets the retention; change it there (the file is applied at start-up)");
        }

        if (await Destinations.DestinationEndpoints.ReadObjectAsync(http) is not { } body)
        {
            return Invalid("", "object", "the body must be a JSON object: events, deliveries, sources, destinations");
        }

        var (settings, problems) = RetentionSection.FromJson(body);
        if (settings is null)
        {
            return Invalid(problems[0].Field, problems[0].Rule, problems[0].Message);
        }

        source.Save(settings, time.GetUtcNow().ToUnixTimeMilliseconds(), http.Items[AdminEndpoints.ActorKey] as string ?? "");
        return Results.Json(Describe(source, events, deliveries));
    }

    private static JsonObject Describe(RetentionSettingsSource source, EventLogOptions events, DeliveryOptions deliveries)
    {
        var stored = source.Stored();
        var current = source.Current();
        var described = RetentionSection.ToJson(current);
        described["managedBy"] = source.FromFile is not null ? "workspace-file" : stored is not null ? "api" : "defaults";
        described["updatedAt"] = source.FromFile is null && stored is { } saved ? IsoTimestamp.Format(saved.UpdatedAt) : null;
        described["actor"] = source.FromFile is null ? stored?.Actor : null;
        // What the serve options give when a setting is left out: --event-retention (null: kept) and --delivery-retention.
        described["defaults"] = new JsonObject
        {
            ["events"] = events.Retention is { } e ? DurationText.Format(e) : null,
            ["deliveries"] = DurationText.Format(deliveries.Retention),
        };
        return described;
    }

    private static IResult Invalid(string field, string rule, string message) => Results.Json(
        new { error = new { code = "invalid_retention", field, rule, message = field.Length == 0 ? message : $"{field}: {message}" } },
        statusCode: StatusCodes.Status400BadRequest);
}
