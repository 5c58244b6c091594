using System.Text.Json.Nodes;

namespace Sluice.Destinations.FullStory;

/// <summary>Property names as Segment's FullStory destination rewrites them (each answer produced by its vars.js).</summary>
public sealed class PropertyNamesTests
{
    private static readonly NamingRules V1Identify = new(CamelCase: true, TypeSuffix: true);
    private static readonly NamingRules V1Track = new(CamelCase: false, TypeSuffix: true);

    [Theory]
    [InlineData("""{"first_name":"Ada","Last Name":"L"}""", """{"firstName_str":"Ada","lastName_str":"L"}""")]
    [InlineData("""{"age":36,"score":9.5,"is_admin":true}""", """{"age_real":36,"score_real":9.5,"isAdmin_bool":true}""")]
    [InlineData("""{"plan_str":"pro","signup_date":"2021-05-01","count_int":4.2}""", """{"plan_str":"pro","signup_date":"2021-05-01","count_int":4.2}""")]
    [InlineData("""{"tags":["a","b"],"ids":[1,2],"empty":[],"flags":[true]}""", """{"tags_strs":["a","b"],"ids_reals":[1,2],"empty_strs":[],"flags_bools":[true]}""")]
    [InlineData("""{"mixed":[1,"a"]}""", """{"mixed":{"0_real":1,"1_str":"a"}}""")]
    [InlineData("""{"products":[{"Product Name":"x"}]}""", """{"products_objs":[{"Product Name":"x"}]}""")]
    [InlineData("""{"address":{"street_name":"Main","zip_code":12345}}""", """{"address":{"streetName_str":"Main","zipCode_real":12345}}""")]
    [InlineData("""{"nothing":null}""", """{"nothing":null}""")]
    [InlineData("""{"order_completed_last_30days":true,"HTTPStatus":200,"Émile Zola":"x"}""", """{"orderCompletedLast30Days_bool":true,"httpStatus_real":200,"emileZola_str":"x"}""")]
    [InlineData("""{"_leading":1,"weird-name_foo":2,"user_id":"u1"}""", """{"leading_real":1,"weirdNameFoo_real":2,"userId_str":"u1"}""")]
    [InlineData("""{"a":["x",null]}""", """{"a":{"0_str":"x","1":null}}""")]
    [InlineData("""{"str":"x","a":"","b":[[1,2]]}""", """{"str_str":"x","a_str":"","b_objs":[[1,2]]}""")]
    public void V1_identify_camel_cases_and_suffixes(string input, string expected) => AssertNormalized(input, V1Identify, expected);

    [Theory]
    [InlineData("""{"Order ID":"o-1","total$":10,"item-count":3}""", """{"OrderID_str":"o-1","total_real":10,"itemcount_real":3}""")]
    [InlineData("""{"$$$":1}""", """{"_real":1}""")]
    [InlineData("""{"a1":{"a2":{"a3":{"a4":{"a5":{"b b":1},"c c":2}}}}}""", """{"a1":{"a2":{"a3":{"a4":{"a5":{"b b":1},"cc_real":2}}}}}""")]
    [InlineData("""{"b":1,"2":"x","1":"y"}""", """{"1_str":"y","2_str":"x","b_real":1}""")]
    public void V1_track_suffixes_without_camel_case(string input, string expected) => AssertNormalized(input, V1Track, expected);

    [Theory]
    [InlineData("""{"first name":"Ada","e-mail":"a@b","price ($)":5}""", """{"firstname":"Ada","email":"a@b","price":5}""")]
    [InlineData("""{"my prop_str":"x","weird-name_foo":1,"_leading":1}""", """{"myprop_str":"x","weirdname_foo":1,"_leading":1}""")]
    [InlineData("""{"a-b":1,"ab":2}""", """{"ab":2}""")]
    [InlineData("""{"mixed":[1,"a",{"b c":1}],"products":[{"Product Name":"x"}]}""", """{"mixed":{"0":1,"1":"a","2":{"bc":1}},"products":[{"Product Name":"x"}]}""")]
    [InlineData("""{"$$$":1,"Émile":2}""", """{"":1,"mile":2}""")]
    [InlineData("""{"l1":{"l2":{"l3":{"l4":{"l5":{"l 6":{"l 7":1}}}}}}}""", """{"l1":{"l2":{"l3":{"l4":{"l5":{"l 6":{"l 7":1}}}}}}}""")]
    [InlineData("""{"__proto__":{"polluted":true},"toString":"t"}""", """{"toString":"t"}""")]
    public void V2_only_strips_characters(string input, string expected) => AssertNormalized(input, NamingRules.StripOnly, expected);

    [Fact]
    public void Nothing_normalizes_to_an_empty_object()
    {
        Assert.Equal("{}", PropertyNames.Normalize(null, V1Identify).ToJsonString());
        Assert.Equal("{}", PropertyNames.Normalize(JsonValue.Create("text"), V1Identify).ToJsonString());
    }

    [Fact]
    public void Writing_in_one_pass_gives_the_bytes_of_the_built_object_for_every_event_of_the_corpus()
    {
        var compared = 0;
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "vectors", "fullstory", "events.jsonl")))
        {
            var message = JsonNode.Parse(line)!;
            foreach (var value in new[] { message["properties"], message["traits"], message["context"] })
            {
                foreach (var rules in new[] { V1Identify, V1Track, NamingRules.StripOnly })
                {
                    AssertWrittenAsBuilt(value, rules, null);
                    AssertWrittenAsBuilt(value, rules, ("segmentAnonymousId", "a-1"));
                    compared++;
                }
            }
        }

        Assert.True(compared > 100, $"only {compared} values compared");
    }

    [Theory]
    [InlineData("""{"a-b":1,"ab":2,"c":{"x y":1,"xy":2}}""")]
    [InlineData("""{"segmentAnonymousId":"old","z":1}""")]
    [InlineData("""{"__proto__":1,"n":[1,"a",{"b c":[true]}]}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""7""")]
    public void Names_that_collide_and_a_set_name_already_there_are_written_as_the_built_object_has_them(string input)
    {
        foreach (var rules in new[] { V1Identify, V1Track, NamingRules.StripOnly })
        {
            AssertWrittenAsBuilt(JsonNode.Parse(input), rules, null);
            AssertWrittenAsBuilt(JsonNode.Parse(input), rules, ("segmentAnonymousId", "a-1"));
        }
    }

    private static void AssertWrittenAsBuilt(JsonNode? value, NamingRules rules, (string Name, string Value)? last)
    {
        var built = PropertyNames.Normalize(value, rules);
        if (last is { } extra)
        {
            built[extra.Name] = extra.Value;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, Actions.Mapping.JsValues.StringifyWriter))
        {
            PropertyNames.Write(writer, value is null ? default : System.Text.Json.JsonSerializer.SerializeToElement(value), rules, last);
        }

        Assert.Equal(Actions.Mapping.JsValues.JsonStringify(built), System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static void AssertNormalized(string input, NamingRules rules, string expected)
    {
        var actual = PropertyNames.Normalize(JsonNode.Parse(input), rules);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual.ToJsonString()}");
        AssertWrittenAsBuilt(JsonNode.Parse(input), rules, null);
    }
}
