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
            var payload = input.Payload;
            string? sessionId = null;
            if (FullStoryApi.Text(payload, "sessionUrl") is { Length: > 0 } sessionUrl)
            {
                // The session id is the URL's last segment, percent-decoded: .../session/1234%3A5678 is 1234:5678.
                if (!JsUri.TryDecodeComponent(sessionUrl[(sessionUrl.LastIndexOf('/') + 1)..], out sessionId))
                {
                    throw new DeliverySkippedException("sessionUrl is not a valid URL: its last segment is not valid percent-encoding");
                }
            }

            // Written in one pass, in the reference's key order (name, properties, user, timestamp, session).
            var buffer = new ArrayBufferWriter<byte>(512);
            using (var body = new Utf8JsonWriter(buffer, JsValues.StringifyWriter))
            {
                body.WriteStartObject();
                body.WritePropertyName("name");
                JsValues.Write(body, payload["name"]);
                body.WritePropertyName("properties");
                PropertyNames.Write(body, payload["properties"], NamingRules.StripOnly);
                if (FullStoryApi.Text(payload, "userId") is { Length: > 0 } userId)
                {
                    body.WriteStartObject("user");
                    body.WriteString("uid", userId);
                    body.WriteEndObject();
                }

                if (FullStoryApi.Timestamp(payload["timestamp"]) is { } timestamp)
                {
                    body.WriteString("timestamp", timestamp);
                }

                var recent = JsValues.IsTruthy(payload["useRecentSession"]);
                if (sessionId is not null || recent)
                {
                    body.WriteStartObject("session");
                    if (sessionId is not null)
                    {
                        body.WriteString("id", sessionId);
                    }

                    if (recent)
                    {
                        body.WritePropertyName("use_most_recent");
                        JsValues.Write(body, payload["useRecentSession"]);
                    }

                    body.WriteEndObject();
                }

                body.WriteEndObject();
            }

            return [FullStoryApi.Request(input.Settings, "POST", "v2/events", buffer.WrittenSpan.ToArray(), [input.MessageId])];
        },
    };
}
