using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;

namespace Sluice.Destinations.FullStory;

/// <summary>The requests every FullStory action builds: base URL, the three headers, a JSON body.</summary>
internal static class FullStoryApi
{
    public const string DefaultBaseUrl = "https://api.fullstory.com";

    /// <summary>FullStory's V1 user APIs answer 404 for a uid the browser never identified in that org.</summary>
    public const string UserNotFound =
        "user not found in FullStory: identify the user client-side first (V1 actions only reach users identified in the browser; Identify User V2 and Track Event V2 create users)";

    public static OutgoingRequest Request(JsonObject settings, string method, string relativeUrl, JsonNode? body, IReadOnlyList<string> messageIds, Func<int, string?>? explainFailure = null) =>
        Request(settings, method, relativeUrl, body is null ? null : JsValues.ToUtf8Json(body), messageIds, explainFailure);

    /// <summary>A request whose JSON body is written already (UTF-8).</summary>
    public static OutgoingRequest Request(JsonObject settings, string method, string relativeUrl, byte[]? body, IReadOnlyList<string> messageIds, Func<int, string?>? explainFailure = null) => new()
    {
        Method = method,
        Url = new Uri(BaseUrl(settings) + "/" + relativeUrl),
        Headers =
        [
            new("Content-Type", "application/json"),
            new("Authorization", "Basic " + JsValues.ToJsString(settings[FullStoryDestination.ApiKey])),
            new("Integration-Source", "segment"),
            new("User-Agent", "Sluice (Actions)"),
        ],
        Body = body,
        MessageIds = messageIds,
        ExplainFailure = explainFailure,
    };

    /// <summary>
    /// The <c>timestamp</c> field as FullStory receives it: dayjs's UTC ISO string, or nothing when
    /// dayjs finds no date. One deliberate difference: dayjs reads every all-digit string as a date
    /// written year first, so epoch seconds (<c>"1700000000"</c>) become 30 November 1699; Sluice
    /// reads 10 digits as epoch seconds and 13 as epoch milliseconds. Shorter digit strings
    /// (<c>"20240301"</c>) are dates, as dayjs reads them.
    /// </summary>
    public static string? Timestamp(JsonNode? value)
    {
        if (!JsValues.IsTruthy(value))
        {
            return null;
        }

        if (JsValues.IsString(value, out var text) && text.Length is 10 or 13 && text.All(char.IsAsciiDigit))
        {
            var number = double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            return Dayjs.TryParseUtc(JsonValue.Create(text.Length == 13 ? number : number * 1000), out var epoch) ? Dayjs.ToIsoString(epoch) : null;
        }

        return Dayjs.TryParseUtc(value, out var ms) ? Dayjs.ToIsoString(ms) : null;
    }

    /// <summary><see cref="Timestamp(JsonNode?)"/> of a payload's field, read from its document; a timestamp in <c>toISOString</c>'s form is its own answer.</summary>
    public static string? Timestamp(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is { } text && Dayjs.IsOwnIsoString(text) ? text : Timestamp(MappingPath.Wrap(value));

    /// <summary>
    /// A user id inside a URL: <c>encodeURIComponent</c>, and <c>'</c> as <c>%27</c> as Segment's
    /// HTTP client puts it on the wire.
    /// </summary>
    public static string UrlComponent(string userId) => JsUri.EncodeComponent(userId).Replace("'", "%27", StringComparison.Ordinal);

    /// <summary>GET /me answers the key's org and role; only Admin and Architect keys may delete users.</summary>
    public static string? DescribeKey(string body)
    {
        try
        {
            var role = JsonNode.Parse(body)?["role"] is JsonValue v && JsValues.IsString(v, out var text) ? text : null;
            return role switch
            {
                null => null,
                _ when role.Equals("ADMIN", StringComparison.OrdinalIgnoreCase) || role.Equals("ARCHITECT", StringComparison.OrdinalIgnoreCase) => $"the key's role is {role}",
                _ => $"the key's role is {role}: deleting users needs an Admin or Architect key",
            };
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public static string? Text(JsonObject payload, string field) => payload[field] is JsonValue v && JsValues.IsString(v, out var s) ? s : null;

    /// <summary>Writes a field's value as the built body had it: null when the payload holds null or nothing.</summary>
    public static void Write(Utf8JsonWriter writer, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Undefined)
        {
            JsonAsItLies.Write(writer, value);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static string BaseUrl(JsonObject settings) =>
        (settings[FullStoryDestination.BaseUrl] is JsonValue v && JsValues.IsString(v, out var url) && url.Length > 0 ? url : DefaultBaseUrl).TrimEnd('/');
}
