using System.Text.Json;

namespace Sluice.Actions.Fql;

/// <summary>Every row of the reference vectors (TestData/vectors/fql.jsonl) gives its expected answer.</summary>
public sealed class FqlVectorTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Rows = new(Load);

    // Only the id and the text are theory arguments, so each row is its own test named after them.
    public static TheoryData<string, string> Vectors()
    {
        var data = new TheoryData<string, string>();
        foreach (var (id, row) in Rows.Value)
        {
            data.Add(id, row.GetProperty("subscription").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Every_vector_row_gives_the_expected_validity_and_result(string id, string subscription)
    {
        var row = Rows.Value[id];
        var expected = row.GetProperty("expected");
        var valid = FqlExpression.TryCompile(subscription, out var expression, out var error);
        Assert.True(
            expected.GetProperty("valid").GetBoolean() == valid,
            valid ? $"compiled, but the vector says it is invalid" : $"rejected: {error}");

        var message = row.TryGetProperty("event", out var e) ? e : default;
        var result = valid && expression!.Matches(message);
        Assert.Equal(expected.GetProperty("result").GetBoolean(), result);
        if (!valid)
        {
            Assert.False(string.IsNullOrWhiteSpace(error!.Reason));
            Assert.InRange(error.Position, 0, subscription.Length);
        }
    }

    [Fact]
    public void The_vector_file_holds_all_78_rows_and_16_divergences()
    {
        Assert.Equal(78, Rows.Value.Count);
        var divergences = 0;
        foreach (var row in Rows.Value.Values)
        {
            divergences += row.TryGetProperty("divergence", out _) ? 1 : 0;
        }

        Assert.Equal(16, divergences);
    }

    private static Dictionary<string, JsonElement> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "vectors", "fql.jsonl");
        var rows = new Dictionary<string, JsonElement>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var row = JsonDocument.Parse(line).RootElement;
            rows.Add(row.GetProperty("id").GetString()!, row);
        }

        return rows;
    }
}
