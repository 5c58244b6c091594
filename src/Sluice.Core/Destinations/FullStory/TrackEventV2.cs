using System.Buffers;
using System.Text.Json;
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
        Perform = input =>
        {
            // Read from the payload's document, written in one pass: no node is built.
            var payload = input.PayloadElement;
            string? sessionId = null;
            if (FullStoryApi.Text(payload, "sessionUrl") is { Length: > 0 } sessionUrl)
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
            FullStoryApi.Write(body, payload, "name");
            body.WritePropertyName("properties");
            PropertyNames.Write(body, FullStoryApi.Field(payload, "properties"), NamingRules.StripOnly);
            if (FullStoryApi.Text(payload, "userId") is { Length: > 0 } userId)
            {
                body.WriteStartObject("user");
                body.WriteString("uid", userId);
                body.WriteEndObject();
            }

            if (FullStoryApi.Timestamp(FullStoryApi.Field(payload, "timestamp")) is { } timestamp)
            {
                body.WriteString("timestamp", timestamp);
            }

            var recent = FullStoryApi.Field(payload, "useRecentSession");
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

            return [FullStoryApi.Request(input.Settings, "POST", "v2/events", rented.ToArray(), [input.MessageId])];
        },
    };
}
