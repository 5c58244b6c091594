using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Sluice.Actions.Mapping;

/// <summary>A value copied as it lies is byte for byte what writing it token by token gives.</summary>
public sealed class JsonAsItLiesTests
{
    [Theory]
    [InlineData("""{"a":1,"b":"two words","c":[true,null,1.50e3],"d":{"e":"<&'> é 😀"}}""", true)]
    [InlineData("""{"a": 1}""", false)]
    [InlineData("""{"a":"x y" , "b":2}""", false)]
    [InlineData("""{"a":"caf\u00e9"}""", false)]
    [InlineData("""{"a":"quote \" inside"}""", false)]
    [InlineData("""[ ]""", false)]
    [InlineData("[\n1]", false)]
    [InlineData("""{"a long name that crosses a block of thirty-two bytes":"and a value with spaces that crosses another"}""", true)]
    [InlineData("""{"a long name that crosses a block of thirty-two bytes":"and a value with spaces that crosses another", "b":1}""", false)]
    [InlineData("""{"x":"a b c d e f g h i j k l m n o p q r s t u v w x y z","y":"1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0","z":[1,2,3] }""", false)]
    [InlineData("""{"x":"a b c d e f g h i j k l m n o p q r s t u v w x y z","y":"1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0","z":[1,2,3]}""", true)]
    public void Text_is_copied_only_where_writing_it_gives_the_same_bytes(string json, bool copied)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);

        Assert.Equal(copied, JsonAsItLies.IsWrittenAsItIs(utf8));
        AssertWrittenAlike(json);
    }

    [Fact]
    public void Every_object_and_array_of_the_FullStory_corpus_is_written_as_the_writer_writes_it()
    {
        var copied = 0;
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "vectors", "fullstory", "events.jsonl")))
        {
            using var document = JsonDocument.Parse(line);
            foreach (var element in Containers(document.RootElement))
            {
                AssertWrittenAlike(element);
                copied += JsonAsItLies.IsWrittenAsItIs(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element)) ? 1 : 0;
            }
        }

        Assert.True(copied > 100, $"only {copied} values were copied: the test would not see a wrong copy");
    }

    [Fact]
    public void Whitespace_between_tokens_is_found_wherever_it_lies_among_strings()
    {
        // Every place between tokens, at every offset from a 32-byte block's edge, with strings of spaces around it.
        var random = new Random(17);
        for (var round = 0; round < 2_000; round++)
        {
            var parts = Enumerable.Range(0, random.Next(1, 12)).Select(i => $"\"k{i}\":\"{new string(' ', random.Next(0, 40))}{i}\"").ToList();
            var compact = "{" + string.Join(",", parts) + "}";
            var spaced = compact.Insert(InsertionPoint(compact, random), new string(' ', random.Next(1, 3)));

            Assert.True(JsonAsItLies.IsWrittenAsItIs(Encoding.UTF8.GetBytes(compact)), compact);
            Assert.False(JsonAsItLies.IsWrittenAsItIs(Encoding.UTF8.GetBytes(spaced)), spaced);
            AssertWrittenAlike(spaced);
        }

        // A place outside every string: after a structural character or a closing quote.
        static int InsertionPoint(string json, Random random)
        {
            var places = new List<int>();
            var inString = false;
            for (var i = 0; i < json.Length; i++)
            {
                if (json[i] == '"')
                {
                    inString = !inString;
                    if (!inString)
                    {
                        places.Add(i + 1);
                    }
                }
                else if (!inString && json[i] is '{' or ',' or ':')
                {
                    places.Add(i + 1);
                }
            }

            return places[random.Next(places.Count)];
        }
    }

    private static void AssertWrittenAlike(string json)
    {
        using var document = JsonDocument.Parse(json);
        AssertWrittenAlike(document.RootElement);
    }

    private static void AssertWrittenAlike(JsonElement element) =>
        Assert.Equal(Written(element.WriteTo), Written(writer => JsonAsItLies.Write(writer, element)));

    private static IEnumerable<JsonElement> Containers(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            yield return element;
            foreach (var inner in element.EnumerateObject().SelectMany(p => Containers(p.Value)))
            {
                yield return inner;
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            yield return element;
            foreach (var inner in element.EnumerateArray().SelectMany(Containers))
            {
                yield return inner;
            }
        }
    }

    private static string Written(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsValues.StringifyWriter))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
