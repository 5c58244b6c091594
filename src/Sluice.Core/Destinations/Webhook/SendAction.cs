using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;

namespace Sluice.Destinations.Webhook;

/// <summary>Webhook's one action: <c>data</c> (by default the whole event) as the JSON body of a request to <c>url</c>.</summary>
public static class SendAction
{
    private const string UserAgent = "Sluice (Actions)";

    public static ActionDefinition Definition { get; } = new()
    {
        Slug = "send",
        Title = "Send",
        Description = "Send an HTTP request.",
        DefaultSubscription = "type = \"track\" or type = \"identify\" or type = \"page\" or type = \"screen\" or type = \"group\" or type = \"alias\"",
        Fields = new Dictionary<string, InputField>
        {
            ["url"] = new() { Label = "URL", Description = "Where the request goes.", Type = FieldType.String, Required = true, Format = "uri" },
            ["method"] = new()
            {
                Label = "Method",
                Description = "The HTTP method.",
                Type = FieldType.String,
                Required = true,
                Choices = ["POST", "PUT", "PATCH"],
                Default = "POST",
            },
            ["batch_size"] = new() { Label = "Batch Size", Description = "Most events in one request when batching is on.", Type = FieldType.Number, Default = 0 },
            ["headers"] = new() { Label = "Headers", Description = "HTTP headers to send with the request.", Type = FieldType.Object, AdditionalProperties = true },
            ["data"] = new()
            {
                Label = "Data",
                Description = "The JSON body; by default the whole event.",
                Type = FieldType.Object,
                AdditionalProperties = true,
                Default = Directives.Path("$."),
            },
            ["batch_keys"] = new()
            {
                Label = "Batch Keys",
                Description = "Events share a batch only when these fields are equal.",
                Type = FieldType.String,
                Multiple = true,
                Hidden = true,
                Default = new JsonArray("url", "method", "headers"),
            },
        },
        Perform = input => [Request(input.Payload, input.Payload["data"], input.Settings, [input.MessageId])],
        PerformBatch = input => input.Payloads.Count == 0
            ? []
            : [Request(
                input.Payloads[0],
                new JsonArray([.. input.Payloads.Select(p => p["data"]?.DeepClone())]),
                input.Settings,
                input.MessageIds,
                signed: input.Payloads[0]["data"])],
    };

    private static OutgoingRequest Request(JsonObject payload, JsonNode? body, JsonObject settings, IReadOnlyList<string> messageIds, JsonNode? signed = null)
    {
        var json = JsValues.JsonStringify(body);
        var headers = new List<KeyValuePair<string, string>>
        {
            new("User-Agent", UserAgent),
            new("Content-Type", "application/json"),
        };
        headers.AddRange(WebhookDestination.MappedHeaders(payload["headers"]));
        // A secret written unquoted in YAML (sharedSecret: 12345) arrives as a number; it is still the secret's text.
        if (settings[WebhookDestination.SharedSecret] is JsonValue secretValue && JsValues.ToJsString(secretValue) is { Length: > 0 } secret)
        {
            // The reference signs a batch with the first item's data only; receivers written for it expect that.
            var signedJson = signed is null ? json : JsValues.JsonStringify(signed);
            var signature = HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(signedJson));
            headers.Add(new("X-Signature", Convert.ToHexStringLower(signature)));
        }

        return new OutgoingRequest
        {
            Method = ((string?)payload["method"] ?? "POST").ToUpperInvariant(),
            Url = new Uri((string)payload["url"]!),
            Headers = headers,
            Body = Encoding.UTF8.GetBytes(json),
            MessageIds = messageIds,
        };
    }
}
