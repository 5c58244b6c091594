using System.Text.Json.Nodes;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>A count is compared without a node where it can be; the answer is the one the node gives.</summary>
public sealed class ComparisonsTests
{
    [Theory]
    [InlineData("=", "2")]
    [InlineData("!=", "2")]
    [InlineData("<", "2")]
    [InlineData("<=", "2")]
    [InlineData(">", "2")]
    [InlineData(">=", "2.5")]
    [InlineData("=", "\"2\"")]
    [InlineData("!=", "\"two\"")]
    [InlineData(">", "\"1\"")]
    [InlineData("=", "true")]
    [InlineData("one_of", "2")]
    [InlineData("exists", null)]
    [InlineData("absent", null)]
    public void A_count_compares_as_its_number_node_does(string op, string? argument)
    {
        var comparison = new Comparison(op, argument is null ? [] : [JsonNode.Parse(argument)]);
        foreach (var count in new long[] { 0, 1, 2, 3 })
        {
            long? next = null;
            long? nodeNext = null;

            Assert.Equal(
                Comparisons.Holds(comparison, JsonValue.Create(count), 0, ref nodeNext),
                Comparisons.Holds(comparison, count, 0, ref next));
        }
    }
}
