using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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
        Perform = input => [Request(PayloadFields.Of(input.PayloadElement), input.Settings, input.MessageId)],
        PerformOnFields = (payload, settings, messageId) =>
            payload["batch_size"] is { ValueKind: JsonValueKind.Number } size && size.GetDouble() > 1 ? null : [Request(payload, settings, messageId)],
        PerformBatch = input => input.Payloads.Count == 0
            ? []
            : [Request(
                Utf8(new JsonArray([.. input.Payloads.Select(p => p["data"]?.DeepClone())])),
                Utf8(input.Payloads[0]["data"]),
                (string?)input.Payloads[0]["method"],
                (string)input.Payloads[0]["url"]!,
                input.Payloads[0]["headers"],
                input.Settings,
                input.MessageIds)],
    };

    /// <summary>One event's request, its body written from the payload's fields (the same bytes as <c>JSON.stringify(data)</c>).</summary>
    private static OutgoingRequest Request(PayloadFields payload, JsonObject settings, string messageId)
    {
        byte[] body;
        using (var rented = RentedJsonWriter.Rent())
        {
            if (payload["data"] is { ValueKind: not JsonValueKind.Undefined } data)
            {
                JsonAsItLies.Write(rented.Writer, data);
            }
            else
            {
                rented.Writer.WriteNullValue();
            }

            body = rented.ToArray();
        }

        // Headers are rare: only then is a node made of them.
        var headers = payload["headers"] is { ValueKind: not JsonValueKind.Undefined } mapped ? MappingPath.Wrap(mapped) : null;
        return Request(body, body, payload.Text("method"), payload.Text("url")!, headers, settings, [messageId]);
    }

    private static byte[] Utf8(JsonNode? value) => Encoding.UTF8.GetBytes(JsValues.JsonStringify(value));

    /// <param name="signed">What the signature covers: the body, or for a batch its first item's data only (the reference signs that; receivers written for it expect it).</param>
    private static OutgoingRequest Request(byte[] body, byte[] signed, string? method, string url, JsonNode? mappedHeaders, JsonObject settings, IReadOnlyList<string> messageIds)
    {
        var headers = new List<KeyValuePair<string, string>>
        {
            new("User-Agent", UserAgent),
            new("Content-Type", "application/json"),
        };
        headers.AddRange(WebhookDestination.MappedHeaders(mappedHeaders));
        // A secret written unquoted in YAML (sharedSecret: 12345) arrives as a number; it is still the secret's text.
        if (settings[WebhookDestination.SharedSecret] is JsonValue secretValue && JsValues.ToJsString(secretValue) is { Length: > 0 } secret)
        {
            var signature = HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), signed);
            headers.Add(new("X-Signature", Convert.ToHexStringLower(signature)));
        }

        return new OutgoingRequest
        {
            Method = (method ?? "POST").ToUpperInvariant(),
            Url = new Uri(url),
            Headers = headers,
            Body = body,
            MessageIds = messageIds,
        };
    }
}
