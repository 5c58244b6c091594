using System.Text;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;

namespace Sluice.Destinations.Webhook;

public sealed class SendActionTests
{
    private static readonly JsonObject Event = JsonNode.Parse("""{"type":"track","event":"E","messageId":"m-1","userId":"u","properties":{"n":1}}""")!.AsObject();

    private static JsonObject Payload(JsonObject mapping) =>
        PayloadSchema.Validate(CompiledMapping.Compile(mapping).Transform(Event).Value!.AsObject(), SendAction.Definition.Fields);

    private static JsonObject DefaultMappingTo(string url)
    {
        var mapping = SendAction.Definition.DefaultMapping();
        mapping["url"] = url;
        return mapping;
    }

    [Fact]
    public void By_default_the_whole_event_is_POSTed_as_JSON_to_the_url()
    {
        var request = Assert.Single(SendAction.Definition.Perform(new ActionInput(Payload(DefaultMappingTo("https://hooks.example/in")), [], "m-1")));

        Assert.Equal("POST", request.Method);
        Assert.Equal("https://hooks.example/in", request.Url.ToString());
        Assert.Contains(new KeyValuePair<string, string>("Content-Type", "application/json"), request.Headers);
        Assert.True(JsonNode.DeepEquals(Event, JsonNode.Parse(request.Body)));
        Assert.Equal(["m-1"], request.MessageIds);
    }

    [Fact]
    public void The_body_read_from_the_stored_payload_is_JSON_stringify_of_its_data_byte_for_byte()
    {
        var mapping = CompiledMapping.Compile(DefaultMappingTo("https://hooks.example/in"));
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "vectors", "fullstory", "events.jsonl")))
        {
            var payload = PayloadSchema.Validate(mapping.Transform(JsonNode.Parse(line)).Value!.AsObject(), SendAction.Definition.Fields);
            var stored = System.Text.Json.JsonElement.Parse(JsValues.ToUtf8Json(payload));
            var input = new ActionInput(System.Text.Json.Nodes.JsonObject.Create(stored)!, new JsonObject { ["sharedSecret"] = "s" }, "m") { PayloadElement = stored };

            var request = Assert.Single(SendAction.Definition.Perform(input));

            Assert.Equal(JsValues.JsonStringify(payload["data"]), Encoding.UTF8.GetString(request.Body!));
        }
    }

    [Fact]
    public void Mapped_method_headers_and_data_shape_the_request()
    {
        var mapping = JsonNode.Parse("""
            {"url":"https://hooks.example/in","method":"PUT","headers":{"X-Team":{"@path":"$.userId"},"X-Drop":"undefined"},
             "data":{"event":{"@path":"$.event"},"n":{"@path":"$.properties.n"}}}
            """)!.AsObject();

        var request = Assert.Single(SendAction.Definition.Perform(new ActionInput(Payload(mapping), [], "m-1")));

        Assert.Equal("PUT", request.Method);
        Assert.Contains(new KeyValuePair<string, string>("X-Team", "u"), request.Headers);
        Assert.DoesNotContain(request.Headers, h => h.Key == "X-Drop");
        Assert.Equal("""{"event":"E","n":1}""", Encoding.UTF8.GetString(request.Body!));
    }

    [Fact]
    public void A_shared_secret_signs_the_body_with_hex_HMAC_SHA1()
    {
        var mapping = JsonNode.Parse("""{"url":"https://hooks.example/in","method":"POST","data":{"event":{"@path":"$.event"},"n":{"@path":"$.properties.n"}}}""")!.AsObject();

        var request = Assert.Single(SendAction.Definition.Perform(new ActionInput(Payload(mapping), new JsonObject { ["sharedSecret"] = "shh" }, "m-1")));

        // Computed independently: python3 -c "import hmac,hashlib; print(hmac.new(b'shh', b'{\"event\":\"E\",\"n\":1}', hashlib.sha1).hexdigest())"
        Assert.Contains(new KeyValuePair<string, string>("X-Signature", "d0a4005a89a9288d5ae0079db9fb4f846ce2e18d"), request.Headers);
    }

    [Fact]
    public void A_secret_written_as_a_number_still_signs()
    {
        var mapping = DefaultMappingTo("https://hooks.example/in");

        var request = Assert.Single(SendAction.Definition.Perform(new ActionInput(Payload(mapping), new JsonObject { ["sharedSecret"] = 12345 }, "m-1")));

        Assert.Contains(request.Headers, h => h.Key == "X-Signature");
    }

    [Fact]
    public void A_batch_is_one_request_with_an_array_body_signed_like_the_reference_by_the_first_item()
    {
        var first = new JsonObject { ["url"] = "https://hooks.example/in", ["method"] = "POST", ["data"] = new JsonObject { ["i"] = 1 } };
        var second = new JsonObject { ["url"] = "https://hooks.example/in", ["method"] = "POST", ["data"] = new JsonObject { ["i"] = 2 } };

        var request = Assert.Single(SendAction.Definition.PerformBatch!(new BatchInput([first, second], new JsonObject { ["sharedSecret"] = "shh" }, ["m-1", "m-1"])));

        Assert.Equal("""[{"i":1},{"i":2}]""", Encoding.UTF8.GetString(request.Body!));
        Assert.Contains(new KeyValuePair<string, string>("X-Signature", "5e96cfbf7c5acca6835fb01bd9eca520182d1333"), request.Headers);
    }

    [Fact]
    public void A_mapping_without_a_url_is_skipped_naming_the_field()
    {
        var message = Assert.Throws<PayloadValidationException>(() => Payload(SendAction.Definition.DefaultMapping())).Message;

        Assert.Equal("The root value is missing the required field 'url'.", message);
    }

    [Fact]
    public void A_method_outside_the_choices_is_refused_once()
    {
        var mapping = DefaultMappingTo("https://hooks.example/in");
        mapping["method"] = "put";

        Assert.Equal("Method must be one of: \"POST\", \"PUT\" or \"PATCH\".", Assert.Throws<PayloadValidationException>(() => Payload(mapping)).Message);
    }

    [Fact]
    public void The_default_mapping_is_the_references()
    {
        Assert.Equal("""{"method":"POST","batch_size":0,"data":{"@path":"$."},"batch_keys":["url","method","headers"]}""", SendAction.Definition.DefaultMapping().ToJsonString());
    }
}
