using System.Text;
using System.Text.Json;

namespace Sluice.Actions.Mapping;

/// <summary>A value copied as it lies is the value a writer writes for it, byte for byte.</summary>
public sealed class JsValuesWriteTests
{
    [Theory]
    [InlineData("""{"a":1,"b":"two words","c":[true,null,1.50e3],"d":{"e":"<&'>"}}""", true)]
    [InlineData("""{"a": 1}""", false)]
    [InlineData("""{"a":"x y" , "b":2}""", false)]
    [InlineData("""{"a":"caf\u00e9"}""", false)]
    [InlineData("""{"a":"café"}""", false)]
    [InlineData("""{"a":"tab\there"}""", false)]
    [InlineData("""{"a":"quote \" inside"}""", false)]
    [InlineData("\"plain\"", true)]
    [InlineData("-0.0", true)]
    [InlineData("[ ]", false)]
    public void A_value_is_copied_only_where_writing_it_gives_the_same_bytes(string json, bool copied)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Equal(copied, JsValues.WrittenAsItIs(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(MappingPlanTests.Written(w => document.RootElement.WriteTo(w)), MappingPlanTests.Written(w => JsValues.Write(w, document.RootElement)));
    }

    [Fact]
    public void Every_value_of_the_FullStory_corpus_is_written_as_the_writer_writes_it()
    {
        var copied = 0;
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "vectors", "fullstory", "events.jsonl")))
        {
            using var document = JsonDocument.Parse(line);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                Assert.Equal(MappingPlanTests.Written(w => property.Value.WriteTo(w)), MappingPlanTests.Written(w => JsValues.Write(w, property.Value)));
                copied += JsValues.WrittenAsItIs(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(property.Value)) ? 1 : 0;
            }
        }

        Assert.True(copied > 1000, $"only {copied} values copied as they lie");
    }
}
