using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>How a profile's Engage state is stored: aggregates under short names, and states stored before them still read.</summary>
public sealed class StoredStateTests
{
    private const string OrdersIn7Days = "event('Order Completed').within(7 days).count()";
    private const string Spend = "event('Order Completed').sum(property('total'))";
    private static readonly EngageDefinitions Definitions = EngageContract.Definitions();
    private static readonly long Now = DateTimeOffset.Parse("2026-09-10T00:00:00Z", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
    private static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal) { "user_id" };

    /// <summary>As states were written before short names: every aggregate under its query text, escaped as the framework's writer escapes it.</summary>
    private static string StoredInFull(object ordersIn7Days) => JsonSerializer.Serialize(new
    {
        a = new Dictionary<string, object>
        {
            [OrdersIn7Days] = ordersIn7Days,
            [Spend] = new { q = true, c = 2, s = 293, n = 2 },
            ["event('Signed Up').count()"] = new { q = true, c = 1 },
        },
        v = new { orders_7d = 1, spend_total = 293 },
    });

    [Fact]
    public void A_state_stored_with_aggregate_names_in_full_is_read_into_the_same_aggregates()
    {
        var stored = StoredInFull(new { q = true, f = new[] { new[] { Now - 60_000, 5 } } });

        var (states, values) = EngageStep.Read(stored, StateNames.For(Definitions));

        Assert.Equal(new[] { OrdersIn7Days, Spend }.Order(StringComparer.Ordinal), states.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("1", values["orders_7d"]);
        var (computed, _) = new ProfileEvaluator(Definitions).Evaluate(states, _ => null, Known, Now);
        Assert.Equal(1, (long)computed["orders_7d"]!);
        Assert.Equal(293, (double)computed["spend_total"]!);
    }

    [Fact]
    public void A_state_is_written_under_short_names_and_reads_back_to_the_same_values()
    {
        var (states, values) = EngageStep.Read(StoredInFull(new { q = true, f = new[] { new[] { Now - 60_000, 5 } } }), StateNames.For(Definitions));

        var written = EngageStep.Write(Definitions, states, values);

        var aggregates = JsonNode.Parse(written)!["a"]!.AsObject();
        Assert.Equal(
            new[] { OrdersIn7Days, Spend }.Select(StateNames.NameOf).Order(StringComparer.Ordinal),
            aggregates.Select(a => a.Key).Order(StringComparer.Ordinal));
        Assert.All(aggregates, a => Assert.Equal(8, a.Key.Length));
        Assert.DoesNotContain("Order Completed", written, StringComparison.Ordinal);
        var (again, valuesAgain) = EngageStep.Read(written, StateNames.For(Definitions));
        var evaluator = new ProfileEvaluator(Definitions);
        Assert.Equal(
            evaluator.Evaluate(states, _ => null, Known, Now).Values.Select(v => (v.Key, ProfileEvaluator.Json(v.Value))),
            evaluator.Evaluate(again, _ => null, Known, Now).Values.Select(v => (v.Key, ProfileEvaluator.Json(v.Value))));
        Assert.Equal(values, valuesAgain);
    }

    [Fact]
    public void A_windowed_count_whose_events_have_all_left_the_window_is_kept_as_zero_not_as_no_value()
    {
        var (states, values) = EngageStep.Read(StoredInFull(new { q = true }), StateNames.For(Definitions));

        var written = EngageStep.Write(Definitions, states, values);

        Assert.Equal(JsonValueKind.True, JsonDocument.Parse(written).RootElement.GetProperty("a").GetProperty(StateNames.NameOf(OrdersIn7Days)).ValueKind);
        var (again, _) = EngageStep.Read(written, StateNames.For(Definitions));
        Assert.Equal(0, (long)new ProfileEvaluator(Definitions).Evaluate(again, _ => null, Known, Now).Values["orders_7d"]!);
    }

    [Fact]
    public void Every_aggregate_of_a_workspace_has_a_name_of_its_own()
    {
        var keys = Definitions.Aggregates.Select(a => a.Key).ToList();

        var names = keys.Select(StateNames.NameOf).ToList();

        Assert.Equal(keys.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.Matches("^[A-Za-z0-9_-]{8}$", n));
    }
}
