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
        Perform = input =>
        {
            var payload = input.Payload;
            var body = new JsonObject
            {
                ["name"] = payload["name"]?.DeepClone(),
                ["properties"] = PropertyNames.Normalize(payload["properties"], NamingRules.StripOnly),
            };
            if (FullStoryApi.Text(payload, "userId") is { Length: > 0 } userId)
            {
                body["user"] = new JsonObject { ["uid"] = userId };
            }

            if (FullStoryApi.Timestamp(payload["timestamp"]) is { } timestamp)
            {
                body["timestamp"] = timestamp;
            }

            JsonObject? session = null;
            if (FullStoryApi.Text(payload, "sessionUrl") is { Length: > 0 } sessionUrl)
            {
                // The session id is the URL's last segment, percent-decoded: .../session/1234%3A5678 is 1234:5678.
                if (!JsUri.TryDecodeComponent(sessionUrl[(sessionUrl.LastIndexOf('/') + 1)..], out var sessionId))
                {
                    throw new DeliverySkippedException("sessionUrl is not a valid URL: its last segment is not valid percent-encoding");
                }

                session = new JsonObject { ["id"] = sessionId };
            }

            if (JsValues.IsTruthy(payload["useRecentSession"]))
            {
                session ??= [];
                session["use_most_recent"] = payload["useRecentSession"]!.DeepClone();
            }

            if (session is not null)
            {
                body["session"] = session;
            }

            return [FullStoryApi.Request(input.Settings, "POST", "v2/events", body, [input.MessageId])];
        },
    };
}
