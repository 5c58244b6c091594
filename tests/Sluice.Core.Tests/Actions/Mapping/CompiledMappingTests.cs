using System.Text.Json.Nodes;

namespace Sluice.Actions.Mapping;

public sealed class CompiledMappingTests
{
    private static readonly JsonNode Event = JsonNode.Parse("""
        {"type":"track","event":"Order Completed","userId":"u1","anonymousId":null,
         "properties":{"total":30,"coupon":null,"name":"Widget","tags":["a","b"],"address":{"city":"Paris","zip":null}},
         "context":{"traits":{"email":"A@X.COM","first":"Ada"}}}
        """)!;

    private static JsonNode? Map(string mapping) => CompiledMapping.Compile(JsonNode.Parse(mapping)).Transform(Event).Value;

    [Fact]
    public void A_plain_string_is_never_a_path()
    {
        Assert.Equal("$.userId", (string?)Map("""{"a":"$.userId"}""")!["a"]);
    }

    [Fact]
    public void Missing_paths_drop_their_key_and_nulls_are_kept()
    {
        var result = Map("""{"a":{"@path":"$.properties.nope"},"b":{"@path":"$.properties.coupon"},"c":{"@path":"$.anonymousId"}}""")!.AsObject();

        Assert.False(result.ContainsKey("a"));
        Assert.True(result.ContainsKey("b") && result["b"] is null);
        Assert.True(result.ContainsKey("c"));
    }

    [Fact]
    public void The_result_never_shares_nodes_with_the_event()
    {
        var result = Map("""{"a":{"@path":"$.properties.address"}}""")!;
        result["a"]!["city"] = "Lyon";

        Assert.Equal("Paris", (string?)Event["properties"]!["address"]!["city"]);
    }

    [Fact]
    public void Templates_print_values_as_JavaScript_does()
    {
        var result = Map("""{"t":{"@template":"{{properties.total}}|{{properties.tags}}|{{properties.address}}|{{properties.coupon}}|{{nope}}"}}""");

        Assert.Equal("30|a,b|[object Object]||", (string?)result!["t"]);
    }

    [Fact]
    public void Replace_treats_the_pattern_literally_and_honours_replacement_patterns()
    {
        var result = Map("""{"r":{"@replace":{"pattern":".","replacement":"[$&]","value":"a.b.c"}}}""");

        Assert.Equal("a[.]b[.]c", (string?)result!["r"]);
    }

    [Fact]
    public void Upper_case_follows_full_case_mapping()
    {
        Assert.Equal("STRASSE", (string?)Map("""{"u":{"@case":{"operator":"upper","value":"straße"}}}""")!["u"]);
    }

    [Fact]
    public void Every_validation_problem_names_its_path()
    {
        var exception = Assert.Throws<MappingValidationException>(() => CompiledMapping.Compile(JsonNode.Parse("""{"a":{"@path":1},"b":{"c":{"@nope":2}}}""")));

        Assert.Equal(["/a/@path should be a string or a mapping directive but it is a number.", "/b/c has an invalid directive: @nope."], exception.Errors);
    }

    [Fact]
    public void Liquid_templates_refuse_the_tags_Segment_disables()
    {
        var mapping = CompiledMapping.Compile(JsonNode.Parse("""{"l":{"@liquid":"x\n {% tablerow t in properties.tags %}{{t}}{% endtablerow %}"}}"""));

        var exception = Assert.Throws<MappingTransformException>(() => mapping.Transform(Event));

        Assert.Equal("tag \"tablerow\" is disabled, line:2, col:2", exception.Message);
    }

    [Fact]
    public void Liquid_templates_over_1000_characters_are_refused()
    {
        var mapping = CompiledMapping.Compile(new JsonObject { ["l"] = new JsonObject { ["@liquid"] = new string('x', 1001) } });

        Assert.Throws<MappingTransformException>(() => mapping.Transform(Event));
    }

    [Fact]
    public void Mappings_built_in_code_with_CLR_numbers_validate_and_resolve()
    {
        var exception = Assert.Throws<MappingValidationException>(() => CompiledMapping.Compile(new JsonObject { ["a"] = new JsonObject { ["@path"] = 5L } }));
        var literal = CompiledMapping.Compile(new JsonObject { ["n"] = new JsonObject { ["@template"] = "{{properties.total}}" }, ["k"] = 2.5m }).Transform(Event).Value!;

        Assert.Equal("/a/@path should be a string or a mapping directive but it is a number.", exception.Message);
        Assert.Equal("30", (string?)literal["n"]);
        Assert.Equal(2.5m, (decimal)literal["k"]!);
    }

    [Fact]
    public void Data_that_is_not_an_object_is_refused()
    {
        var mapping = CompiledMapping.Compile(JsonNode.Parse("""{"a":{"@path":"$.userId"}}"""));

        Assert.Equal("data must be an object, got array", Assert.Throws<MappingTransformException>(() => mapping.Transform(new JsonArray())).Message);
    }
}
