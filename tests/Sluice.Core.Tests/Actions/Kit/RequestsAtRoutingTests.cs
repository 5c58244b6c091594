using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Mapping;
using Sluice.Destinations;

namespace Sluice.Actions.Kit;

/// <summary>
/// Requests built as an event is routed, from the event's document, are the requests perform builds
/// from the stored payload, byte for byte; where a field is written anew, they are left to perform.
/// </summary>
public sealed class RequestsAtRoutingTests
{
    private static readonly JsonObject Settings = new() { ["apiKey"] = "key" };

    public static TheoryData<string, string> Actions()
    {
        var actions = new TheoryData<string, string>();
        foreach (var destination in DestinationCatalog.Builtin.All)
        {
            foreach (var (slug, action) in destination.Actions)
            {
                if (action.PerformOnFields is not null)
                {
                    actions.Add(destination.Slug, slug);
                }
            }
        }

        return actions;
    }

    [Theory]
    [MemberData(nameof(Actions))]
    public void Requests_built_at_routing_are_the_requests_perform_builds_from_the_stored_payload(string destination, string slug)
    {
        var catalog = DestinationCatalog.Builtin.Find(destination)!;
        var action = catalog.Actions[slug];
        var mappings = catalog.Presets.Where(p => p.ActionSlug == slug).Select(p => p.Mapping).Append(WrittenPayloadTests.WholeDefaultMapping(action));
        foreach (var mapping in mappings.Select(CompiledMapping.Compile))
        {
            int written = 0, built = 0;
            foreach (var line in CorpusLines())
            {
                using var document = JsonDocument.Parse(line);
                var payload = action.TryWritePayload(mapping, document.RootElement, Settings, "m-1", out var requests);
                Assert.Equal(action.TryWritePayload(mapping, document.RootElement), payload);
                if (payload is null)
                {
                    continue;
                }

                written++;
                if (requests is not null)
                {
                    built++;
                    Assert.Equal(Performed(action, payload), Described(requests));
                }
            }

            // Most of the corpus is built at routing, so the comparison above ran on it.
            Assert.True(written > 0 && built >= written * 9 / 10, $"{destination}/{slug}: {built} of {written} payloads' requests built at routing");
        }
    }

    [Theory]
    [InlineData(FieldType.String, "\"text\"", true)]
    [InlineData(FieldType.String, "\"caf\\u00e9\"", true)]
    [InlineData(FieldType.String, "5.50", false)]
    [InlineData(FieldType.String, "false", false)]
    [InlineData(FieldType.String, "null", true)]
    [InlineData(FieldType.Number, "12.50", false)]
    [InlineData(FieldType.Number, "1.50e3", false)]
    [InlineData(FieldType.Number, "1500", true)]
    [InlineData(FieldType.Number, "-0", false)]
    [InlineData(FieldType.Number, "1234567890123456", false)]
    [InlineData(FieldType.Integer, "7", true)]
    [InlineData(FieldType.Integer, "0", true)]
    [InlineData(FieldType.Integer, "7.0", false)]
    [InlineData(FieldType.Boolean, "true", true)]
    [InlineData(FieldType.Datetime, "\"2024-01-01T00:00:00Z\"", true)]
    [InlineData(FieldType.Datetime, "1.70e9", true)]
    [InlineData(FieldType.Object, "{\"k\":\"caf\\u00e9\",\"n\":1.50e3, \"a\":[1, 2]}", true)]
    public void A_field_is_given_as_the_event_has_it_only_where_the_payload_holds_that_very_value(FieldType type, string value, bool built)
    {
        foreach (var field in new[] { new InputField { Label = "F", Type = type }, new InputField { Label = "F", Type = type, Multiple = true } })
        {
            var action = new ActionDefinition
            {
                Slug = "echo",
                Title = "Echo",
                Fields = new Dictionary<string, InputField> { ["f"] = field, ["other"] = new() { Label = "O", Type = FieldType.String } },
                Perform = input => Echo(PayloadFields.Of(input.PayloadElement), input.Settings, input.MessageId),
                PerformOnFields = Echo,
            };
            var mapping = CompiledMapping.Compile(JsonNode.Parse("""{"f":{"@path":"$.v"},"other":{"@path":"$.w"}}"""));
            using var document = JsonDocument.Parse($$"""{"v":{{value}},"w":"x"}""");

            var payload = action.TryWritePayload(mapping, document.RootElement, Settings, "m-1", out var requests);

            Assert.NotNull(payload);
            // A field of several values is written anew (an array), unless it is left out (null).
            Assert.Equal(built && (!field.Multiple || value == "null"), requests is not null);
            if (requests is not null)
            {
                Assert.Equal(Performed(action, payload), Described(requests));
            }
        }
    }

    [Theory]
    [InlineData(FieldType.String, "[\"a\",\"b\"]", false, true)]
    [InlineData(FieldType.String, "[\"a\",null]", false, false)]
    [InlineData(FieldType.String, "[\"a\",null]", true, true)]
    [InlineData(FieldType.String, "[\"a\",5]", false, false)]
    [InlineData(FieldType.Integer, "[1,2]", false, true)]
    [InlineData(FieldType.String, "\"a\"", false, false)]
    public void A_field_of_several_values_is_given_as_the_event_has_it_when_its_array_is_kept_whole(FieldType type, string value, bool allowNull, bool built)
    {
        var action = new ActionDefinition
        {
            Slug = "echo",
            Title = "Echo",
            Fields = new Dictionary<string, InputField> { ["f"] = new() { Label = "F", Type = type, Multiple = true, AllowNull = allowNull } },
            Perform = input => Echo(PayloadFields.Of(input.PayloadElement), input.Settings, input.MessageId),
            PerformOnFields = Echo,
        };
        var mapping = CompiledMapping.Compile(JsonNode.Parse("""{"f":{"@path":"$.v"}}"""));
        using var document = JsonDocument.Parse($$"""{"v":{{value}}}""");

        var payload = action.TryWritePayload(mapping, document.RootElement, Settings, "m-1", out var requests);

        Assert.NotNull(payload);
        Assert.Equal(built, requests is not null);
        if (requests is not null)
        {
            Assert.Equal(Performed(action, payload), Described(requests));
        }
    }

    [Fact]
    public void A_webhook_mapping_that_batches_is_left_to_the_dispatcher()
    {
        var action = DestinationCatalog.Builtin.Find("webhook")!.Actions["send"];
        var mapping = CompiledMapping.Compile(JsonNode.Parse("""{"url":"https://hooks.example/in","method":"POST","batch_size":50,"data":{"@path":"$."}}"""));
        using var document = JsonDocument.Parse("""{"type":"track","event":"Signed Up"}""");

        Assert.NotNull(action.TryWritePayload(mapping, document.RootElement, Settings, "m-1", out var requests));
        Assert.Null(requests);
    }

    [Fact]
    public void A_template_or_a_built_object_is_left_to_perform()
    {
        var action = DestinationCatalog.Builtin.Find("actions-fullstory-cloud")!.Actions["trackEventV2"];
        var mapping = CompiledMapping.Compile(JsonNode.Parse("""{"name":{"@template":"{{event}}!"},"properties":{"@path":"$.properties"}}"""));
        using var document = JsonDocument.Parse("""{"type":"track","event":"Signed Up","properties":{"plan":"pro"}}""");

        Assert.NotNull(action.TryWritePayload(mapping, document.RootElement, Settings, "m-1", out var requests));
        Assert.Null(requests);
    }

    [Fact]
    public void A_request_perform_refuses_is_left_to_perform_which_says_why()
    {
        var action = DestinationCatalog.Builtin.Find("actions-fullstory-cloud")!.Actions["trackEventV2"];
        var mapping = CompiledMapping.Compile(JsonNode.Parse("""{"name":{"@path":"$.event"},"sessionUrl":{"@path":"$.url"}}"""));
        using var document = JsonDocument.Parse("""{"type":"track","event":"Signed Up","url":"https://app.fullstory.com/ui/o/session/%E0%A4%A"}""");

        var payload = action.TryWritePayload(mapping, document.RootElement, Settings, "m-1", out var requests);

        Assert.NotNull(payload);
        Assert.Null(requests);
        Assert.Throws<DeliverySkippedException>(() => Performed(action, payload));
    }

    private static IReadOnlyList<OutgoingRequest> Echo(PayloadFields fields, JsonObject settings, string messageId)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsValues.StringifyWriter))
        {
            writer.WriteStartArray();
            foreach (var name in new[] { "f", "other", "absent" })
            {
                if (fields[name] is { ValueKind: not JsonValueKind.Undefined } value)
                {
                    value.WriteTo(writer);
                }
                else
                {
                    writer.WriteStringValue("undefined");
                }
            }

            writer.WriteEndArray();
        }

        return [new OutgoingRequest { Method = "POST", Url = new Uri("https://echo.example/"), Body = buffer.WrittenSpan.ToArray(), MessageIds = [messageId] }];
    }

    /// <summary>What the dispatcher builds for a stored payload: the payload parsed, then perform.</summary>
    private static string Performed(ActionDefinition action, byte[] payload)
    {
        var element = JsonElement.Parse(payload);
        return Described(action.Perform(new ActionInput(JsonObject.Create(element)!, Settings, "m-1") { PayloadElement = element }));
    }

    private static string Described(IReadOnlyList<OutgoingRequest> requests) => string.Join(
        "\n",
        requests.Select(r => $"{r.Method} {r.Url} {string.Join(";", r.Headers.Select(h => $"{h.Key}={h.Value}"))} [{string.Join(",", r.MessageIds)}] {(r.Body is null ? "-" : Encoding.UTF8.GetString(r.Body))}"));

    private static IEnumerable<string> CorpusLines() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "vectors", "fullstory", "events.jsonl"));
}
