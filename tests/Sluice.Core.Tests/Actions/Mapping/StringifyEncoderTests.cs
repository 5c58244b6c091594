using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Actions.Mapping;

/// <summary>
/// Strings are escaped as <c>JSON.stringify</c> escapes them (ECMA-262, QuoteJSONString); each expected
/// text is what Node's <c>JSON.stringify</c> printed for the value.
/// </summary>
public sealed class StringifyEncoderTests
{
    public static TheoryData<string, string> Strings => new()
    {
        { "a\"b\\c", "\"a\\\"b\\\\c\"" },
        { "\b\t\n\f\r", "\"\\b\\t\\n\\f\\r\"" },
        { "\u0000\u001f\u000b\u007f", "\"\\u0000\\u001f\\u000b\u007f\"" },
        { "é 日本 😀 \u2028\u2029 <>&'", "\"é 日本 😀 \u2028\u2029 <>&'\"" },
        { "plain ASCII text long enough to take the vectorised search: 0123456789abcdefghijklmnopqrstuvwxyz", "\"plain ASCII text long enough to take the vectorised search: 0123456789abcdefghijklmnopqrstuvwxyz\"" },
        { new string('é', 40) + "\n" + new string('x', 40), "\"" + new string('é', 40) + "\\n" + new string('x', 40) + "\"" },
    };

    [Theory]
    [MemberData(nameof(Strings))]
    public void A_string_from_UTF8_bytes_is_escaped_as_JSON_stringify_escapes_it(string value, string expected)
    {
        Assert.Equal(expected, Written(writer => writer.WriteStringValue(Encoding.UTF8.GetBytes(value))));
    }

    [Theory]
    [MemberData(nameof(Strings))]
    public void A_string_from_UTF16_text_is_escaped_as_JSON_stringify_escapes_it(string value, string expected)
    {
        Assert.Equal(expected, Written(writer => writer.WriteStringValue(value)));
    }

    [Theory]
    [MemberData(nameof(Strings))]
    public void A_property_name_is_escaped_as_JSON_stringify_escapes_it(string value, string expected)
    {
        Assert.Equal("{" + expected + ":1}", Written(writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber(Encoding.UTF8.GetBytes(value), 1);
            writer.WriteEndObject();
        }));
    }

    [Theory]
    [MemberData(nameof(Strings))]
    public void A_node_is_stringified_as_JSON_stringify_stringifies_it(string value, string expected)
    {
        Assert.Equal(expected, JsValues.JsonStringify(JsonValue.Create(value)));
    }

    [Fact]
    public void Escapes_a_client_sent_are_written_as_the_characters_they_stand_for()
    {
        using var document = JsonDocument.Parse("""{"name":"caf\u00e9 \ud83d\ude00 \u0041\/","line":"a\u000ab"}""");

        Assert.Equal("{\"name\":\"café 😀 A/\",\"line\":\"a\\nb\"}", Written(document.RootElement.WriteTo));
    }

    [Fact]
    public void A_surrogate_without_its_pair_becomes_the_replacement_character()
    {
        Assert.Equal("\"a\uFFFDb\"", Written(writer => writer.WriteStringValue("a\uD83Db")));
        Assert.Equal("\"😀\"", Written(writer => writer.WriteStringValue("\uD83D\uDE00")));
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
