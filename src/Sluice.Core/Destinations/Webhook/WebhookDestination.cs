using System.Text.Json.Nodes;
using Sluice.Actions.Kit;

namespace Sluice.Destinations.Webhook;

/// <summary>
/// Webhook (Actions): sends events to any HTTP endpoint. One action, <see cref="SendAction"/>; an
/// optional shared secret signs each body (<c>X-Signature</c>, hex HMAC-SHA1) so the receiver can
/// check it came from this Sluice.
/// </summary>
public static class WebhookDestination
{
    public const string SharedSecret = "sharedSecret";

    public static DestinationDefinition Definition { get; } = new()
    {
        Name = "Webhook",
        Slug = "webhook",
        Description = "Send an HTTP request to any URL for the events a mapping's trigger selects.",
        Settings = new Dictionary<string, SettingField>
        {
            [SharedSecret] = new()
            {
                Label = "Shared Secret",
                Description = "If set, every request carries X-Signature: the hex HMAC-SHA1 of its JSON body with this secret.",
                Type = SettingType.Password,
            },
        },
        Actions = new Dictionary<string, ActionDefinition> { [SendAction.Definition.Slug] = SendAction.Definition },
    };

    /// <summary>The headers the mapping set, as the request's headers (string values only; "undefined" removes a header, as in the reference client).</summary>
    internal static IEnumerable<KeyValuePair<string, string>> MappedHeaders(JsonNode? headers)
    {
        if (headers is not JsonObject map)
        {
            yield break;
        }

        foreach (var (name, value) in map)
        {
            var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString();
            if (text is not null and not "undefined")
            {
                yield return new(name, text);
            }
        }
    }
}
