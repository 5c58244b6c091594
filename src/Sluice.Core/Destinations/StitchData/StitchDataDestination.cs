using System.Text;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;

namespace Sluice.Destinations.StitchData;

/// <summary>
/// Stitch Data: every track, page, identify, group and alias call, as the Segment message itself,
/// POSTed to the endpoint Stitch's Segment integration gives (Segment's "direct integration"
/// contract); Stitch splits the messages into warehouse tables by type.
/// </summary>
public static class StitchDataDestination
{
    public const string Endpoint = "endpoint";
    public const string ApiKey = "apiKey";

    public static DestinationDefinition Definition { get; } = new()
    {
        Name = "Stitch Data",
        Aliases = ["Stitch"],
        Slug = "stitch-data",
        Description = "Land every call in your warehouse through Stitch's Segment integration.",
        SupportedTypes = ["track", "page", "identify", "group", "alias"],
        Settings = new Dictionary<string, SettingField>
        {
            [Endpoint] = new()
            {
                Label = "Endpoint",
                Description = "The URL Stitch shows when you add its Segment integration (\"Enable with Segment\"). It carries Stitch's token, so it is kept secret.",
                Type = SettingType.Password,
                Required = true,
                Format = "uri",
            },
            [ApiKey] = new()
            {
                Label = "API Key",
                Description = "Optional. When set, requests carry it as the user name of HTTP Basic authentication.",
                Type = SettingType.Password,
            },
        },
        Actions = new Dictionary<string, ActionDefinition> { [SendMessage.Definition.Slug] = SendMessage.Definition },
        Presets = [new Preset("Every call", SendMessage.Definition.DefaultSubscription!, SendMessage.Definition.Slug, SendMessage.Definition.DefaultMapping())],
    };

    internal static OutgoingRequest Request(JsonObject settings, JsonNode body, IReadOnlyList<string> messageIds)
    {
        var headers = new List<KeyValuePair<string, string>>
        {
            new("Content-Type", "application/json"),
            new("User-Agent", "Segment.io/1.0 (Sluice)"),
        };
        // A blank key (Segment's catalog default is one space) means none: "Basic IDo=" would be refused.
        if (settings[ApiKey] is { } key && JsValues.ToJsString(key) is { } text && !string.IsNullOrWhiteSpace(text))
        {
            headers.Add(new("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(text + ":"))));
        }

        return new OutgoingRequest
        {
            Method = "POST",
            Url = new Uri(JsValues.ToJsString(settings[Endpoint])),
            Headers = headers,
            Body = Encoding.UTF8.GetBytes(JsValues.JsonStringify(body)),
            MessageIds = messageIds,
            ExplainFailure = status => status switch
            {
                401 or 403 => "Stitch refused the request: check the endpoint (its token) and the API key",
                413 => "the message is larger than Stitch accepts",
                501 => "the endpoint does not take this type of call",
                _ => null,
            },
        };
    }
}
