using System.Text.Json.Nodes;

namespace Sluice.Actions.Kit;

/// <summary>The reference's coercion table (AJV coerceTypes "array") and its messages.</summary>
public sealed class PayloadSchemaTests
{
    private static InputField Field(FieldType type, string label = "F", bool multiple = false, IReadOnlyList<string>? choices = null, double? minimum = null, double? maximum = null, string? format = null) =>
        new() { Label = label, Type = type, Multiple = multiple, Choices = choices, Minimum = minimum, Maximum = maximum, Format = format };

    private static JsonNode? Coerced(InputField field, string json) =>
        PayloadSchema.Validate(new JsonObject { ["f"] = JsonNode.Parse(json) }, new Dictionary<string, InputField> { ["f"] = field })["f"];

    private static string Rejected(InputField field, string json) =>
        Assert.Throws<PayloadValidationException>(() => Coerced(field, json)).Message;

    [Theory]
    [InlineData(FieldType.String, "5", "\"5\"")]
    [InlineData(FieldType.String, "0", "\"0\"")]
    [InlineData(FieldType.String, "false", "\"false\"")]
    [InlineData(FieldType.String, "[\"only\"]", "\"only\"")]
    [InlineData(FieldType.Number, "\"12.5\"", "12.5")]
    [InlineData(FieldType.Number, "\" 12 \"", "12")]
    [InlineData(FieldType.Number, "true", "1")]
    [InlineData(FieldType.Integer, "\"7\"", "7")]
    [InlineData(FieldType.Integer, "\"1.0\"", "1")]
    [InlineData(FieldType.Boolean, "\"true\"", "true")]
    [InlineData(FieldType.Boolean, "0", "false")]
    [InlineData(FieldType.Boolean, "1", "true")]
    [InlineData(FieldType.Datetime, "\"2024-01-01\"", "\"2024-01-01\"")]
    [InlineData(FieldType.Datetime, "\"1700000000\"", "\"1700000000\"")]
    [InlineData(FieldType.Datetime, "1700000000", "1700000000")]
    public void Values_are_coerced_to_the_declared_type(FieldType type, string input, string expected)
    {
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), Coerced(Field(type), input)));
    }

    [Theory]
    [InlineData(FieldType.String, "S", "[\"a\",\"b\"]", "S must be a string but it was an array.")]
    [InlineData(FieldType.String, "S", "{\"a\":1}", "S must be a string but it was an object.")]
    [InlineData(FieldType.Number, "n", "\"abc\"", "N must be a number but it was a string.")]
    [InlineData(FieldType.Integer, "I", "1.5", "I must be an integer but it was a number.")]
    [InlineData(FieldType.Boolean, "B", "\"TRUE\"", "B must be a boolean but it was a string.")]
    [InlineData(FieldType.Boolean, "B", "2", "B must be a boolean but it was a number.")]
    [InlineData(FieldType.Datetime, "D", "\"yesterday\"", "D must be a valid date-like string but it was not.")]
    [InlineData(FieldType.Object, "O", "\"x\"", "O must be an object but it was a string.")]
    [InlineData(FieldType.Object, "O", "[1]", "O must be an object but it was an array.")]
    public void Values_that_cannot_be_coerced_are_refused_naming_the_field(FieldType type, string label, string input, string message)
    {
        Assert.Equal(message, Rejected(Field(type, label), input));
    }

    [Fact]
    public void A_multiple_field_wraps_a_single_value_and_names_a_bad_item_by_pointer()
    {
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[\"5\"]"), Coerced(Field(FieldType.String, multiple: true), "5")));
        Assert.Equal("The value at /f/1 must be a number but it was a string.", Rejected(Field(FieldType.Number, multiple: true), "[1,\"x\"]"));
    }

    [Fact]
    public void Choices_lengths_and_formats_are_checked()
    {
        Assert.Equal("C must be one of: \"x\" or \"y\".", Rejected(Field(FieldType.String, "C", choices: ["x", "y"]), "\"z\""));
        Assert.Equal("Lim must be 2 characters or more but it was 1 character.", Rejected(Field(FieldType.String, "Lim", minimum: 2), "\"a\""));
        Assert.Equal("Lim must be 4 characters or fewer but it was 5 characters.", Rejected(Field(FieldType.String, "Lim", maximum: 4), "\"abcde\""));
        Assert.Equal("Em must be a valid email address string but it was not.", Rejected(Field(FieldType.String, "Em", format: "email"), "\"nope\""));
    }

    [Fact]
    public void A_required_field_mapped_to_nothing_null_or_an_empty_string_is_missing()
    {
        var fields = new Dictionary<string, InputField>
        {
            ["a"] = new() { Label = "A", Type = FieldType.String, Required = true },
            ["b"] = new() { Label = "B", Type = FieldType.String, Required = true },
            ["c"] = new() { Label = "C", Type = FieldType.String, Required = true },
        };

        var message = Assert.Throws<PayloadValidationException>(() => PayloadSchema.Validate(new JsonObject { ["b"] = null, ["c"] = "" }, fields)).Message;

        Assert.Equal("The root value is missing the required field 'a'. The root value is missing the required field 'b'. The root value is missing the required field 'c'.", message);
    }

    [Fact]
    public void Empty_values_a_field_cannot_hold_disappear_and_undeclared_keys_are_dropped()
    {
        var fields = new Dictionary<string, InputField>
        {
            ["n"] = new() { Label = "N", Type = FieldType.Number },
            ["s"] = new() { Label = "S", Type = FieldType.String },
            ["o"] = new() { Label = "O", Type = FieldType.Object, Properties = new Dictionary<string, InputField> { ["k"] = new() { Label = "K", Type = FieldType.String } } },
        };

        var payload = PayloadSchema.Validate(JsonNode.Parse("""{"n":"","s":null,"extra":1,"o":{"k":5,"drop":true}}""")!.AsObject(), fields);

        Assert.Equal("""{"o":{"k":"5"}}""", payload.ToJsonString());
    }

    [Fact]
    public void In_batch_mode_a_root_empty_string_is_kept_for_string_fields()
    {
        var fields = new Dictionary<string, InputField> { ["s"] = new() { Label = "S", Type = FieldType.String } };

        Assert.Equal("", (string?)PayloadSchema.Validate(new JsonObject { ["s"] = "" }, fields, inBatch: true)["s"]);
        Assert.False(PayloadSchema.Validate(new JsonObject { ["s"] = "" }, fields).ContainsKey("s"));
    }
}
