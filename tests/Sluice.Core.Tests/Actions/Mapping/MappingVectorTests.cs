using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Actions.Mapping;

/// <summary>Every row of Segment's mapping-kit reference vectors (actions-core 3.170.0) gives the reference's answer.</summary>
public sealed class MappingVectorTests
{
    public static TheoryData<string> Rows()
    {
        var rows = new TheoryData<string>();
        foreach (var line in File.ReadLines(VectorFile))
        {
            rows.Add((string)JsonNode.Parse(line)!["id"]!);
        }

        return rows;
    }

    private static string VectorFile => Path.Combine(AppContext.BaseDirectory, "TestData", "vectors", "mapping.jsonl");

    [Theory]
    [MemberData(nameof(Rows))]
    public void The_mapping_gives_the_reference_answer(string id) => AssertReferenceAnswer(id, fromDocument: false);

    /// <summary>Events routed from the store are read through their parsed document: the answers must be the same.</summary>
    [Theory]
    [MemberData(nameof(Rows))]
    public void The_mapping_gives_the_reference_answer_reading_the_parsed_document(string id) => AssertReferenceAnswer(id, fromDocument: true);

    private static void AssertReferenceAnswer(string id, bool fromDocument)
    {
        var row = File.ReadLines(VectorFile).Select(l => JsonNode.Parse(l)!).Single(r => (string?)r["id"] == id);
        var expected = row["expected"]!;
        using var document = JsonDocument.Parse(row["event"]?.ToJsonString() ?? "null");

        var outcome = Run(row["mapping"], row["event"], fromDocument ? document.RootElement : null);

        if (expected["error"] is { } error)
        {
            Assert.Equal(((string)error["phase"]!, (string)error["message"]!), (outcome.Phase, outcome.Message));
        }
        else if (expected["undefined"] is not null)
        {
            Assert.True(outcome.Result is { IsUndefined: true }, $"expected nothing, got {outcome.Result?.Value?.ToJsonString() ?? outcome.Message}");
        }
        else
        {
            Assert.True(outcome.Result is { IsUndefined: false }, outcome.Message);
            Assert.True(
                JsonNode.DeepEquals(expected["result"], outcome.Result.Value.Value),
                $"expected {expected["result"]?.ToJsonString()}, got {outcome.Result.Value.Value?.ToJsonString()}");
        }
    }

    private static (Resolved? Result, string? Phase, string? Message) Run(JsonNode? mapping, JsonNode? payload, JsonElement? document)
    {
        CompiledMapping compiled;
        try
        {
            compiled = CompiledMapping.Compile(mapping);
        }
        catch (MappingValidationException exception)
        {
            return (null, "validate", exception.Message);
        }

        try
        {
            return (document is { } element ? compiled.Transform(element) : compiled.Transform(payload), null, null);
        }
        catch (MappingTransformException exception)
        {
            return (null, "transform", exception.Message);
        }
    }
}
