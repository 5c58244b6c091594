using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Mapping;
using Sluice.Destinations;

namespace Sluice.Actions.Kit;

/// <summary>
/// A payload written from the event's document by the mapping's plan is the payload the resolver and
/// validation give, byte for byte; where they would coerce or fail, the plan leaves the event to them.
/// </summary>
public sealed class WrittenPayloadTests
{
    private static IEnumerable<JsonDocument> Events()
    {
        var vectors = Path.Combine(AppContext.BaseDirectory, "TestData", "vectors");
        foreach (var line in File.ReadLines(Path.Combine(vectors, "fullstory", "events.jsonl")))
        {
            yield return JsonDocument.Parse(line);
        }

        foreach (var line in File.ReadLines(Path.Combine(vectors, "mapping.jsonl")))
        {
            yield return JsonDocument.Parse(JsonNode.Parse(line)!["event"]?.ToJsonString() ?? "null");
        }
    }

    public static TheoryData<string, string> Actions()
    {
        var actions = new TheoryData<string, string>();
        foreach (var destination in DestinationCatalog.Builtin.All)
        {
            foreach (var action in destination.Actions.Keys)
            {
                actions.Add(destination.Slug, action);
            }
        }

        return actions;
    }

    [Theory]
    [MemberData(nameof(Actions))]
    public void Every_written_payload_of_a_catalog_action_is_the_validated_payload(string destination, string slug)
    {
        var action = DestinationCatalog.Builtin.Find(destination)!.Actions[slug];
        var mapping = CompiledMapping.Compile(WholeDefaultMapping(action));
        var writtenCount = 0;

        foreach (var document in Events())
        {
            using (document)
            {
                if (action.TryWritePayload(mapping, document.RootElement) is { } written)
                {
                    Assert.Equal(Prepared(action, mapping, document.RootElement), Encoding.UTF8.GetString(written));
                    writtenCount++;
                }
            }
        }

        // An action the plan can serve (no skip reason, a planned default mapping) is served for some events, so the comparison above ran.
        Assert.True(action.SkipReason is not null || mapping.Plan is null || writtenCount > 0, $"{destination}/{slug}: no payload written by the plan");
    }

    [Fact]
    public void FullStorys_presets_write_every_payload_validation_accepts_unchanged()
    {
        foreach (var preset in DestinationCatalog.Builtin.Find("actions-fullstory-cloud")!.Presets)
        {
            var action = DestinationCatalog.Builtin.Find("actions-fullstory-cloud")!.Actions[preset.ActionSlug];
            var mapping = CompiledMapping.Compile(preset.Mapping);
            int accepted = 0, written = 0;
            foreach (var document in Events())
            {
                using (document)
                {
                    accepted += Prepared(action, mapping, document.RootElement).StartsWith('{') ? 1 : 0;
                    written += action.TryWritePayload(mapping, document.RootElement) is null ? 0 : 1;
                }
            }

            // Only a value of another kind (a number as a name, say) needs validation's coercion: most events need none.
            Assert.True(written >= accepted * 9 / 10, $"{preset.Name}: {written} of {accepted} accepted payloads written by the plan");
        }
    }

    [Theory]
    [InlineData(FieldType.String, "\"text\"", true)]
    [InlineData(FieldType.String, "\"\"", true)]
    [InlineData(FieldType.String, "5.50", true)]
    [InlineData(FieldType.String, "1e21", true)]
    [InlineData(FieldType.String, "false", true)]
    [InlineData(FieldType.String, "[\"only\"]", false)]
    [InlineData(FieldType.String, "[\"a\",null,\"b\"]", false)]
    [InlineData(FieldType.Number, "[1,null,2.50]", false)]
    [InlineData(FieldType.String, "{\"a\":1}", false)]
    [InlineData(FieldType.String, "null", true)]
    [InlineData(FieldType.Number, "12.50", true)]
    [InlineData(FieldType.Number, "3.0", true)]
    [InlineData(FieldType.Number, "1e300", true)]
    [InlineData(FieldType.Number, "\"12\"", false)]
    [InlineData(FieldType.Integer, "7.0", true)]
    [InlineData(FieldType.Integer, "7.5", false)]
    [InlineData(FieldType.Boolean, "true", true)]
    [InlineData(FieldType.Boolean, "1", false)]
    [InlineData(FieldType.Datetime, "\"2024-01-01T00:00:00Z\"", true)]
    [InlineData(FieldType.Datetime, "\"not a date\"", false)]
    [InlineData(FieldType.Datetime, "1700000000", true)]
    [InlineData(FieldType.Object, "{\"k\":\"caf\\u00e9\",\"n\":1.0}", true)]
    [InlineData(FieldType.Object, "[1]", false)]
    public void A_field_is_written_as_validation_coerces_it_or_left_to_validation(FieldType type, string value, bool plainFieldWritten)
    {
        foreach (var (field, index) in Variants(type).Select((f, i) => (f, i)))
        {
            var action = new ActionDefinition
            {
                Slug = "a",
                Title = "A",
                Fields = new Dictionary<string, InputField> { ["f"] = field, ["other"] = new() { Label = "O", Type = FieldType.String } },
                Perform = _ => [],
            };
            var mapping = CompiledMapping.Compile(JsonNode.Parse("""{"f":{"@path":"$.v"},"other":{"@template":"{{w}}"},"extra":{"@path":"$.v"}}"""));
            using var document = JsonDocument.Parse($$"""{"v":{{value}},"w":"x"}""");

            var written = action.TryWritePayload(mapping, document.RootElement);
            if (written is not null)
            {
                Assert.Equal(Prepared(action, mapping, document.RootElement), Encoding.UTF8.GetString(written));
            }

            if (index == 0)
            {
                // The plain field: a value of its own kind is written, one to coerce or refuse is left to validation.
                Assert.Equal(plainFieldWritten, written is not null);
            }
        }
    }

    [Fact]
    public void A_missing_required_field_is_left_to_validation_which_names_it()
    {
        var action = new ActionDefinition
        {
            Slug = "a",
            Title = "A",
            Fields = new Dictionary<string, InputField> { ["name"] = new() { Label = "Name", Type = FieldType.String, Required = true } },
            Perform = _ => [],
        };
        var mapping = CompiledMapping.Compile(JsonNode.Parse("""{"name":{"@path":"$.event"}}"""));
        using var named = JsonDocument.Parse("""{"event":"Signed Up"}""");
        using var unnamed = JsonDocument.Parse("""{"event":""}""");

        Assert.Equal("""{"name":"Signed Up"}""", Encoding.UTF8.GetString(action.TryWritePayload(mapping, named.RootElement)!));
        Assert.Null(action.TryWritePayload(mapping, unnamed.RootElement));
        Assert.Contains("'name'", Prepared(action, mapping, unnamed.RootElement), StringComparison.Ordinal);
    }

    /// <summary>An action's default mapping, with a value for each field a user must fill (webhook's url), so that payloads can be whole.</summary>
    internal static JsonObject WholeDefaultMapping(ActionDefinition action)
    {
        var defaults = action.DefaultMapping();
        foreach (var (key, _) in action.Fields.Where(f => f.Value.Required && f.Value.Default is null))
        {
            defaults[key] = "https://hooks.example/in";
        }

        return defaults;
    }

    private static IEnumerable<InputField> Variants(FieldType type)
    {
        yield return new InputField { Label = "F", Type = type };
        yield return new InputField { Label = "F", Type = type, Required = true, AllowNull = true };
        yield return new InputField { Label = "F", Type = type, Choices = ["text", "5.5"] };
        yield return new InputField { Label = "F", Type = type, Minimum = 5, Maximum = 20 };
        yield return new InputField { Label = "F", Type = type, Format = "date-time" };
        yield return new InputField { Label = "F", Type = type, Multiple = true };
        yield return new InputField { Label = "F", Type = type, Properties = new Dictionary<string, InputField> { ["k"] = new() { Label = "K", Type = FieldType.String } } };
    }

    /// <summary>What routing stored before the plan: the validated payload's bytes, or the reason it was skipped.</summary>
    private static string Prepared(ActionDefinition action, CompiledMapping mapping, JsonElement message)
    {
        try
        {
            return Encoding.UTF8.GetString(JsValues.ToUtf8Json(action.PreparePayload(mapping, message)));
        }
        catch (Exception exception) when (exception is DeliverySkippedException or MappingTransformException)
        {
            return "skipped: " + exception.Message;
        }
    }
}
