using System.Text.Json.Nodes;
using Sluice.Actions.Kit;

namespace Sluice.Destinations.FullStory;

/// <summary>
/// FullStory Cloud Mode (Actions): server-side user properties and custom events for FullStory's
/// session replay, exactly as Segment's FullStory destination sends them (V1 and V2 APIs).
/// </summary>
public static class FullStoryDestination
{
    public const string ApiKey = "apiKey";
    public const string BaseUrl = "baseUrl";

    public static DestinationDefinition Definition { get; } = new()
    {
        Name = "Fullstory Cloud Mode (Actions)",
        Aliases = ["FullStory Cloud Mode (Actions)"],
        Slug = "actions-fullstory-cloud",
        Description = "Send users and events to FullStory, to find and enrich session replays with server-side properties and events.",
        Settings = new Dictionary<string, SettingField>
        {
            [ApiKey] = new()
            {
                Label = "API Key",
                Description = "A FullStory API key (Settings › Integrations › API Keys). Deleting users needs an Admin or Architect key.",
                Type = SettingType.Password,
                Required = true,
            },
            [BaseUrl] = new()
            {
                Label = "Base URL",
                Description = "Where FullStory's API is: https://api.fullstory.com unless you use another realm, a proxy, or a test server.",
                Type = SettingType.String,
                Default = FullStoryApi.DefaultBaseUrl,
                Format = "uri",
            },
        },
        Actions = new Dictionary<string, ActionDefinition>
        {
            [TrackEvent.Definition.Slug] = TrackEvent.Definition,
            [IdentifyUser.Definition.Slug] = IdentifyUser.Definition,
            [TrackEventV2.Definition.Slug] = TrackEventV2.Definition,
            [IdentifyUserV2.Definition.Slug] = IdentifyUserV2.Definition,
        },
        Presets =
        [
            new Preset("Track Event", "type = \"track\"", TrackEventV2.Definition.Slug, TrackEventV2.Definition.DefaultMapping()),
            new Preset("Identify User", "type = \"identify\"", IdentifyUserV2.Definition.Slug, IdentifyUserV2.Definition.DefaultMapping()),
        ],
        TestAuthentication = settings => FullStoryApi.Request(settings, "GET", "me", (byte[]?)null, []),
        DescribeAuthentication = FullStoryApi.DescribeKey,
        OnDelete = (settings, userId) => string.IsNullOrEmpty(userId)
            ? throw new DeliverySkippedException("User Id is required for user deletion.")
            : FullStoryApi.Request(settings, "DELETE", "v2/users?uid=" + FullStoryApi.UrlComponent(userId), (byte[]?)null, []),
    };
}
