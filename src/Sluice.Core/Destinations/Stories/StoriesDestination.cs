using Sluice.Actions.Kit;

namespace Sluice.Destinations.Stories;

/// <summary>
/// Stories (getstories.io): identify, page and track calls become events on each user's timeline;
/// with Sync Users on, an identify first merges the user and their traits into Stories' users.
/// Stories has no anonymous users, so calls without a userId are skipped.
/// </summary>
public static class StoriesDestination
{
    public const string ApiKey = "apiKey";
    public const string SyncUsers = "syncUsers";
    public const string BaseUrl = "baseUrl";

    public static DestinationDefinition Definition { get; } = new()
    {
        Name = "Stories",
        Slug = "stories",
        Description = "Send identify, page and track calls to Stories, a timeline of each user's events.",
        SupportedTypes = ["identify", "track", "page"],
        // Stories answers with X-RateLimit-Limit: 300 (a minute, it seems); 4 a second stays under it.
        DefaultRateLimit = 4,
        Settings = new Dictionary<string, SettingField>
        {
            [ApiKey] = new()
            {
                Label = "API Key",
                Description = "Your Stories Personal Access Token (Account › Settings › API).",
                Type = SettingType.Password,
                Required = true,
            },
            [SyncUsers] = new()
            {
                Label = "Sync Users",
                Description = "On: an identify also creates or updates the user, with its traits as user attributes. Off: Stories only records the events.",
                Type = SettingType.Boolean,
                Default = true,
            },
            [BaseUrl] = new()
            {
                Label = "Base URL",
                Description = "Where Stories' API is: https://api.getstories.io unless you use a proxy or a test server.",
                Type = SettingType.String,
                Default = StoriesApi.DefaultBaseUrl,
                Format = "uri",
            },
        },
        Actions = new Dictionary<string, ActionDefinition>
        {
            [IdentifyUser.Definition.Slug] = IdentifyUser.Definition,
            [TrackEvent.Definition.Slug] = TrackEvent.Definition,
            [PageView.Definition.Slug] = PageView.Definition,
        },
        Presets =
        [
            new Preset("Identify", "type = \"identify\"", IdentifyUser.Definition.Slug, IdentifyUser.Definition.DefaultMapping()),
            new Preset("Track", "type = \"track\"", TrackEvent.Definition.Slug, TrackEvent.Definition.DefaultMapping()),
            new Preset("Page", "type = \"page\"", PageView.Definition.Slug, PageView.Definition.DefaultMapping()),
        ],
        TestAuthentication = settings => StoriesApi.Request(settings, "GET", "v1/users?page=1&per_page=1", null, []),
    };
}
