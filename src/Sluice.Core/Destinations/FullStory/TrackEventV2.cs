using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;

namespace Sluice.Destinations.FullStory;

/// <summary>Track Event V2: FullStory's Create Event API, for identified or (with a session) anonymous users.</summary>
public static class TrackEventV2
{
    public static ActionDefinition Definition { get; } = new()
    {
        Slug = "trackEventV2",
        Title = "Track Event V2",
        Description = "Sends a custom event with FullStory's V2 Events API (what the presets use).",
        DefaultSubscription = "type = \"track\"",
        Fields = TrackEvent.Fields(userIdRequired: false),
        Perform = input => Requests(PayloadFields.Of(input.PayloadElement), input.Settings, input.MessageId),
        PerformOnFields = Requests,
    };

    /// <summary>The request, written in one pass from the payload's fields: no node is built.</summary>
    private static IReadOnlyList<OutgoingRequest> Requests(PayloadFields payload, JsonObject settings, string messageId)
    {
        string? sessionId = null;
        if (payload.Text("sessionUrl") is { Length: > 0 } sessionUrl)
        {
            // The session id is the URL's last segment, percent-decoded: .../session/1234%3A5678 is 1234:5678.
            if (!JsUri.TryDecodeComponent(sessionUrl[(sessionUrl.LastIndexOf('/') + 1)..], out sessionId))
            {
                throw new DeliverySkippedException("sessionUrl is not a valid URL: its last segment is not valid percent-encoding");
            }
        }

        // In the reference's key order (name, properties, user, timestamp, session).
        using var rented = RentedJsonWriter.Rent();
        var body = rented.Writer;
        body.WriteStartObject();
        body.WritePropertyName("name");
        FullStoryApi.Write(body, payload["name"]);
        body.WritePropertyName("properties");
        PropertyNames.Write(body, payload["properties"], NamingRules.StripOnly);
        if (payload.Text("userId") is { Length: > 0 } userId)
        {
            body.WriteStartObject("user");
            body.WriteString("uid", userId);
            body.WriteEndObject();
        }

        if (FullStoryApi.Timestamp(payload["timestamp"]) is { } timestamp)
        {
            body.WriteString("timestamp", timestamp);
        }

        var recent = payload["useRecentSession"];
        var useRecent = MappingPath.IsTruthy(recent);
        if (sessionId is not null || useRecent)
        {
            body.WriteStartObject("session");
            if (sessionId is not null)
            {
                body.WriteString("id", sessionId);
            }

            if (useRecent)
            {
                body.WritePropertyName("use_most_recent");
                recent.WriteTo(body);
            }

            body.WriteEndObject();
        }

        body.WriteEndObject();

        return [FullStoryApi.Request(settings, "POST", "v2/events", rented.ToArray(), [messageId])];
    }
}
