using System.Text;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;

namespace Sluice.Destinations.Stories;

/// <summary>What every Stories action shares: the user id rule and the requests' shape.</summary>
internal static class StoriesApi
{
    public const string DefaultBaseUrl = "https://api.getstories.io";
    public const string AnonymousUser = "Stories does not support anonymous users: the call has no userId";

    /// <summary>Every Stories action needs a user id; the field is optional in the schema so that its absence reads as what it is.</summary>
    public static InputField UserIdField { get; } = new()
    {
        Label = "User ID",
        Description = "The user the event belongs to. Stories has no anonymous users: calls without it are skipped.",
        Type = FieldType.String,
        Default = Directives.Path("$.userId"),
    };

    public static string? SkipAnonymous(JsonObject payload) =>
        payload["userId"] is JsonValue v && JsValues.IsString(v, out var id) && id.Length > 0 ? null : AnonymousUser;

    /// <summary>A timeline event: <c>name</c> is the call type, <c>data</c> what the call carried.</summary>
    public static OutgoingRequest Event(ActionInput input, string name, JsonObject data) =>
        Request(input.Settings, "POST", "v1/events", new JsonObject { ["user_id"] = input.Payload["userId"]?.DeepClone(), ["name"] = name, ["data"] = data }, [input.MessageId]);

    public static OutgoingRequest Request(JsonObject settings, string method, string relativeUrl, JsonNode? body, IReadOnlyList<string> messageIds) => new()
    {
        Method = method,
        // No trailing slash: Stories answers one with a redirect that turns the POST into a GET.
        Url = new Uri(Setting(settings, StoriesDestination.BaseUrl, DefaultBaseUrl).TrimEnd('/') + "/" + relativeUrl),
        Headers =
        [
            new("Authorization", "Bearer " + JsValues.ToJsString(settings[StoriesDestination.ApiKey])),
            new("Content-Type", "application/json"),
            new("Accept", "application/json"),
            new("User-Agent", "Sluice"),
        ],
        Body = body is null ? null : Encoding.UTF8.GetBytes(JsValues.JsonStringify(body)),
        MessageIds = messageIds,
        ExplainFailure = status => status is 401 or 403 ? "Stories refused the API key: it is invalid or was revoked" : null,
    };

    /// <summary>On unless set to false (YAML may give the text "false").</summary>
    public static bool SyncsUsers(JsonObject settings) => settings[StoriesDestination.SyncUsers] is not { } value || (JsValues.IsTruthy(value) && JsValues.ToJsString(value) != "false");

    private static string Setting(JsonObject settings, string key, string fallback) =>
        settings[key] is JsonValue v && JsValues.IsString(v, out var text) && text.Length > 0 ? text : fallback;
}
