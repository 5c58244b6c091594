using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Actions.Mapping;

/// <summary>The plan is a shortcut of the resolver: where it answers, it answers what the resolver does, byte for byte.</summary>
public sealed class MappingPlanTests
{
    private static string VectorFile => Path.Combine(AppContext.BaseDirectory, "TestData", "vectors", "mapping.jsonl");

    public static TheoryData<string> Rows()
    {
        var rows = new TheoryData<string>();
        foreach (var line in File.ReadLines(VectorFile))
        {
            rows.Add((string)JsonNode.Parse(line)!["id"]!);
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void A_reference_vector_the_plan_resolves_gives_the_resolvers_bytes(string id)
    {
        var row = File.ReadLines(VectorFile).Select(l => JsonNode.Parse(l)!).Single(r => (string?)r["id"] == id);
        CompiledMapping compiled;
        try
        {
            compiled = CompiledMapping.Compile(row["mapping"]);
        }
        catch (MappingValidationException)
        {
            return;
        }

        using var document = JsonDocument.Parse(row["event"]?.ToJsonString() ?? "null");
        if (Planned(compiled, document.RootElement) is not { } planned)
        {
            return;
        }

        Assert.Equal(Resolved(compiled, document.RootElement), planned);
    }

    [Theory]
    [InlineData("""{"a":{"@path":"$.userId"},"b":{"@path":"$.properties.products[1].sku"},"c":{"@path":"properties.products.0.price"},"gone":{"@path":"$.nope.deeper"}}""")]
    [InlineData("""{"all":{"@path":"$."},"falsy":{"@path":"$.properties.zero.deeper"},"empty":{"@path":"$.properties.empty.x"}}""")]
    [InlineData("""{"t":{"@template":"{{userId}} paid {{properties.revenue}} {{properties.no}} {{{properties.nested}}} {{missing}}{{properties.nullProp}} }"}}""")]
    [InlineData("""{"t":{"@template":"plain"},"unclosed":{"@template":"a {{userId"},"lone":{"@template":"a {{userId} b"}}""")]
    [InlineData("""{"e":{"@if":{"exists":{"@path":"$.properties.nullProp"},"then":"yes","else":"no"}},"f":{"@if":{"exists":{"@path":"$.userId"},"then":{"@path":"$.event"}}}}""")]
    [InlineData("""{"b":{"@if":{"blank":{"@path":"$.properties.zero"},"then":1,"else":{"@template":"{{userId}}"}}},"c":{"@if":{"blank":{"@path":"$.properties.no"},"then":1,"else":0}},"d":{"@if":{"blank":{"@path":"$.properties.currency"},"then":{"@literal":{"x":[1,"ü"]}}}}}""")]
    [InlineData("""{"l":{"@literal":{"k":{"@path":"$.userId"},"n":null,"s":"Zürich"}},"o":{"p":{"@path":"$.properties.revenue"},"q":{"r":{"@path":"$.traits"}}},"arr":[1,{"a":2}],"n":1.50}""")]
    public void The_common_directives_are_planned_and_give_the_resolvers_bytes(string mapping)
    {
        var compiled = CompiledMapping.Compile(JsonNode.Parse(mapping));
        using var document = JsonDocument.Parse(Event);

        var planned = Planned(compiled, document.RootElement);

        Assert.NotNull(planned);
        Assert.Equal(Resolved(compiled, document.RootElement), planned);
    }

    [Theory]
    [InlineData("""{"c":{"@case":{"operator":"lower","value":{"@path":"$.event"}}}}""")]
    [InlineData("""{"p":{"@path":{"@template":"$.{{event}}"}}}""")]
    [InlineData("""{"i":{"@if":{"then":1}}}""")]
    [InlineData("""[{"@path":"$.userId"}]""")]
    public void Mappings_with_other_directives_are_left_to_the_resolver(string mapping)
    {
        Assert.Null(CompiledMapping.Compile(JsonNode.Parse(mapping)).Plan);
    }

    [Theory]
    [InlineData("""{"chars":{"@path":"$.userId.length"}}""")]
    [InlineData("""{"joined":{"@template":"{{properties.products.0.tags}}"}}""")]
    [InlineData("""{"b":{"@if":{"blank":{"@path":"$.properties.products"},"then":1}}}""")]
    public void Events_only_the_resolver_can_read_are_left_to_it(string mapping)
    {
        var compiled = CompiledMapping.Compile(JsonNode.Parse(mapping));
        using var document = JsonDocument.Parse(Event);

        Assert.NotNull(compiled.Plan);
        Assert.Null(Planned(compiled, document.RootElement));
        Assert.NotNull(Resolved(compiled, document.RootElement));
    }

    private const string Event = """
        {"type":"track","event":"Order Completed","userId":"user_42","properties":{"revenue":19.99,"currency":"usd","nullProp":null,"empty":"","zero":0,"no":false,
         "products":[{"sku":"A-1","price":5,"tags":["x","y"]},{"sku":"B-2","price":7.5}],"nested":{"a":{"b":"d\u00e9ep"}}},"traits":{"city":"Z\u00fcrich"}}
        """;

    /// <summary>The plan's result as bytes; null when the plan leaves the event to the resolver.</summary>
    internal static string? Planned(CompiledMapping compiled, JsonElement message)
    {
        if (compiled.Plan?.TryResolve(message, out var value) != true)
        {
            return null;
        }

        return value.Kind == PlannedKind.Undefined ? "undefined" : Written(value.WriteTo);
    }

    /// <summary>The resolver's result as bytes, or its error.</summary>
    internal static string Resolved(CompiledMapping compiled, JsonElement message)
    {
        try
        {
            var resolved = compiled.Transform(message);
            return resolved.IsUndefined ? "undefined" : resolved.Value is null ? "null" : Encoding.UTF8.GetString(JsValues.ToUtf8Json(resolved.Value));
        }
        catch (MappingTransformException exception)
        {
            return "error: " + exception.Message;
        }
    }

    private static string Written(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, JsValues.StringifyWriter))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
