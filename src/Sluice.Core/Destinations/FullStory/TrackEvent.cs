using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;

namespace Sluice.Destinations.FullStory;

/// <summary>Track Event (V1): a custom event on a user FullStory already knows from the browser.</summary>
public static class TrackEvent
{
    public static ActionDefinition Definition { get; } = new()
    {
        Slug = "trackEvent",
        Title = "Track Event",
        Description = "Sends a custom event with FullStory's V1 Users API. Kept for mappings made with it; new mappings should use Track Event V2, as the presets do.",
        DefaultSubscription = "type = \"track\"",
        Fields = Fields(userIdRequired: true),
        Perform = input =>
        {
            var payload = input.Payload;
            var custom = new JsonObject
            {
                ["event_name"] = payload["name"]?.DeepClone(),
                ["event_data"] = PropertyNames.Normalize(payload["properties"], new NamingRules(CamelCase: false, TypeSuffix: true)),
            };
            if (FullStoryApi.Timestamp(payload["timestamp"]) is { } timestamp)
            {
                custom["timestamp"] = timestamp;
            }

            if (JsValues.IsTruthy(payload["useRecentSession"]))
            {
                custom["use_recent_session"] = payload["useRecentSession"]!.DeepClone();
            }

            if (FullStoryApi.Text(payload, "sessionUrl") is { Length: > 0 } sessionUrl)
            {
                custom["session_url"] = sessionUrl;
            }

            var userId = FullStoryApi.Text(payload, "userId") ?? "";
            return [FullStoryApi.Request(
                input.Settings,
                "POST",
                $"users/v1/individual/{FullStoryApi.UrlComponent(userId)}/customevent?integration=segment",
                new JsonObject { ["event"] = custom },
                [input.MessageId],
                status => status == 404 ? FullStoryApi.UserNotFound : null)];
        },
    };

    /// <summary>The fields of both track actions; V2 does not need a user id.</summary>
    internal static Dictionary<string, InputField> Fields(bool userIdRequired) => new()
    {
        ["userId"] = new() { Label = "User ID", Description = "The user's id.", Type = FieldType.String, Required = userIdRequired, Default = Directives.Path("$.userId") },
        ["name"] = new() { Label = "Name", Description = "The name of the event.", Type = FieldType.String, Required = true, Default = Directives.Path("$.event") },
        ["properties"] = new()
        {
            Label = "Properties",
            Description = "A JSON object containing additional information about the event that will be indexed by FullStory.",
            Type = FieldType.Object,
            AdditionalProperties = true,
            Default = Directives.Path("$.properties"),
        },
        ["timestamp"] = new()
        {
            Label = "Timestamp",
            Description = "The date and time when the event occurred. If not provided, the current FullStory server time will be used.",
            Type = FieldType.Datetime,
            Default = Directives.Path("$.timestamp"),
        },
        ["useRecentSession"] = new()
        {
            Label = "Use Recent Session",
            Description = "Set to true if the custom event should be attached to the user's most recent session. The most recent session must have had activity within the past 30 minutes.",
            Type = FieldType.Boolean,
        },
        ["sessionUrl"] = new()
        {
            Label = "Session URL",
            Description = "If known, the FullStory session playback URL to which the event should be attached, as returned by the FS.getCurrentSessionURL() client API.",
            Type = FieldType.String,
        },
    };
}
