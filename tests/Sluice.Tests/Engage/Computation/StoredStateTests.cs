using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Engage.Store;
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

    /// <summary>The layout of a store whose aggregates were registered before registrations had names: named after their keys.</summary>
    private static readonly StateLayout RegisteredBeforeNames = StateLayout.For(
        Definitions, Definitions.Aggregates.ToDictionary(a => a.Key, a => new EngageAggregateRow(a.Key, "{}", 0, Now, Now, Name: null)));

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

        var state = ProfileState.Read(RegisteredBeforeNames, stored);

        Assert.Equal(new[] { OrdersIn7Days, Spend }.Order(StringComparer.Ordinal), Aggregates(state).Order(StringComparer.Ordinal));
        Assert.Equal("1", state.Value("orders_7d"));
        var (computed, _) = new ProfileEvaluator(RegisteredBeforeNames).Evaluate(state, _ => null, Known, Now);
        Assert.Equal(1, (long)computed["orders_7d"]!);
        Assert.Equal(293, (double)computed["spend_total"]!);
    }

    [Fact]
    public void A_state_is_written_under_short_names_and_reads_back_to_the_same_values()
    {
        var state = ProfileState.Read(RegisteredBeforeNames, StoredInFull(new { q = true, f = new[] { new[] { Now - 60_000, 5 } } }));

        var written = EngageStep.Write(state);

        var aggregates = JsonNode.Parse(written)!["a"]!.AsObject();
        Assert.Equal(
            new[] { OrdersIn7Days, Spend }.Select(StateLayout.NameOf).Order(StringComparer.Ordinal),
            aggregates.Select(a => a.Key).Order(StringComparer.Ordinal));
        Assert.All(aggregates, a => Assert.Equal(8, a.Key.Length));
        Assert.DoesNotContain("Order Completed", written, StringComparison.Ordinal);
        var again = ProfileState.Read(RegisteredBeforeNames, written);
        var evaluator = new ProfileEvaluator(RegisteredBeforeNames);
        Assert.Equal(
            evaluator.Evaluate(state, _ => null, Known, Now).Values.Select(v => (v.Key, ProfileEvaluator.Json(v.Value))),
            evaluator.Evaluate(again, _ => null, Known, Now).Values.Select(v => (v.Key, ProfileEvaluator.Json(v.Value))));
        Assert.Equal(Values(state), Values(again));
    }

    [Fact]
    public void A_windowed_count_whose_events_have_all_left_the_window_is_kept_as_zero_not_as_no_value()
    {
        // Its one event is eight days old: a step that reads the aggregate prunes it.
        var state = ProfileState.Read(RegisteredBeforeNames, StoredInFull(new { q = true, f = new[] { new[] { Now - (8 * 86_400_000L), 5 } } }));
        var slot = Definitions.Aggregates.ToList().FindIndex(a => a.Key == OrdersIn7Days);
        state.Get(slot)!.Prune(Definitions.Aggregates[slot].Aggregate, Now);

        var written = EngageStep.Write(state);

        Assert.Equal(JsonValueKind.True, JsonDocument.Parse(written).RootElement.GetProperty("a").GetProperty(StateLayout.NameOf(OrdersIn7Days)).ValueKind);
        var again = ProfileState.Read(RegisteredBeforeNames, written);
        Assert.Equal(0, (long)new ProfileEvaluator(RegisteredBeforeNames).Evaluate(again, _ => null, Known, Now).Values["orders_7d"]!);
    }

    [Fact]
    public void An_aggregate_a_step_did_not_read_is_written_back_as_stored_and_one_it_read_as_it_is_now()
    {
        var layout = RegisteredBeforeNames;
        var spend = Definitions.Aggregates.ToList().FindIndex(a => a.Key == Spend);
        var orders = Definitions.Aggregates.ToList().FindIndex(a => a.Key == OrdersIn7Days);
        // Spend's summary with its properties in an order of their own, which a state written again would not keep.
        var stored = $$$"""{"a":{"{{{StateLayout.NameOf(Spend)}}}":{"n":2,"s":293,"q":true,"c":2},"{{{StateLayout.NameOf(OrdersIn7Days)}}}":{"q":true,"f":[[{{{Now - 60_000}}},5]]}},"v":{"orders_7d":1,"spend_total":293}}""";
        var state = ProfileState.Read(layout, stored);

        state.GetOrAdd(orders).Add(Definitions.Aggregates[orders].Aggregate, new Fact(Now - 1_000, 6, null));
        var written = JsonDocument.Parse(EngageStep.Write(state)).RootElement.GetProperty("a");

        Assert.Equal("""{"n":2,"s":293,"q":true,"c":2}""", written.GetProperty(StateLayout.NameOf(Spend)).GetRawText());
        Assert.Equal(2, written.GetProperty(StateLayout.NameOf(OrdersIn7Days)).GetProperty("f").GetArrayLength());
        Assert.Null(state.Held(spend));
    }

    [Fact]
    public void A_stored_value_is_compared_with_a_new_one_as_JSON_text()
    {
        var state = ProfileState.Read(RegisteredBeforeNames, StoredInFull(new { q = true }));
        var orders7d = state.Layout.DefinitionSlot("orders_7d");

        Assert.True(state.ValueIs(orders7d, "1"));
        Assert.False(state.ValueIs(orders7d, "2"));
        Assert.False(state.ValueIs(orders7d, "10"));
        Assert.False(state.ValueIs(state.Layout.DefinitionSlot("avg_order_30d"), "null"));
    }

    [Fact]
    public void An_aggregate_registered_again_leaves_out_what_states_hold_of_its_earlier_registration()
    {
        var spend = Definitions.Aggregates.ToList().FindIndex(a => a.Key == Spend);
        var registry = Definitions.Aggregates.ToDictionary(a => a.Key, a => new EngageAggregateRow(a.Key, "{}", 0, Now, Now, Name: null));
        registry[Spend] = registry[Spend] with { Name = StateLayout.NewName() };
        var layout = StateLayout.For(Definitions, registry);
        var earlier = $$$"""{"a":{"{{{StateLayout.NameOf(Spend)}}}":{"q":true,"c":2,"s":293,"n":2}},"v":{}}""";

        var fromNames = ProfileState.Read(layout, earlier);
        var fromKeys = ProfileState.Read(layout, StoredInFull(new { q = true }));

        Assert.False(fromNames.Has(spend));
        Assert.False(fromKeys.Has(spend));
        Assert.True(fromKeys.Has(Definitions.Aggregates.ToList().FindIndex(a => a.Key == OrdersIn7Days)));
        fromNames.GetOrAdd(spend).Add(Definitions.Aggregates[spend].Aggregate, new Fact(Now, 7, "12"));
        var written = EngageStep.Write(fromNames);
        Assert.Equal([registry[Spend].Name!], JsonNode.Parse(written)!["a"]!.AsObject().Select(a => a.Key));
        Assert.Equal(12, (double)new ProfileEvaluator(layout).Evaluate(ProfileState.Read(layout, written), _ => null, Known, Now).Values["spend_total"]!);
    }

    [Fact]
    public void Every_aggregate_of_a_workspace_has_a_name_of_its_own()
    {
        var keys = Definitions.Aggregates.Select(a => a.Key).ToList();

        var names = keys.Select(StateLayout.NameOf).ToList();

        Assert.Equal(keys.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.Matches("^[A-Za-z0-9_-]{8}$", n));
    }

    [Fact]
    public void After_an_evaluation_the_aggregates_read_and_not_changed_are_let_go_and_written_as_they_were_stored()
    {
        var state = ProfileState.Read(RegisteredBeforeNames, StoredInFull(new { q = true, f = new[] { new[] { Now - 60_000, 5 } } }));
        var orders = Definitions.Aggregates.ToList().FindIndex(a => a.Key == OrdersIn7Days);
        var spend = Definitions.Aggregates.ToList().FindIndex(a => a.Key == Spend);
        var storedSpend = JsonNode.Parse(EngageStep.Write(state))!["a"]![StateLayout.NameOf(Spend)]!.ToJsonString();
        new ProfileEvaluator(RegisteredBeforeNames).Evaluate(state, _ => null, Known, Now);
        state.Get(orders)!.Add(Definitions.Aggregates[orders].Aggregate, new Fact(Now, 9, null));
        Assert.NotNull(state.Held(spend));

        state.LetGoOfUnchanged();

        Assert.Null(state.Held(spend));
        Assert.NotNull(state.Held(orders));
        var written = JsonNode.Parse(EngageStep.Write(state))!["a"]!;
        Assert.Equal(storedSpend, written[StateLayout.NameOf(Spend)]!.ToJsonString());
        Assert.Equal(2, written[StateLayout.NameOf(OrdersIn7Days)]!["f"]!.AsArray().Count);
    }

    [Fact]
    public void A_state_read_and_evaluated_is_unchanged_and_one_with_an_aggregate_taken_merged_in_or_left_out_is_changed()
    {
        ProfileState Stored() => ProfileState.Read(RegisteredBeforeNames, StoredInFull(new { q = true, f = new[] { new[] { Now - 60_000, 5 } } }));
        var orders = Definitions.Aggregates.ToList().FindIndex(a => a.Key == OrdersIn7Days);
        var spend = Definitions.Aggregates.ToList().FindIndex(a => a.Key == Spend);
        var evaluator = new ProfileEvaluator(RegisteredBeforeNames);

        var read = Stored();
        evaluator.Evaluate(read, _ => null, Known, Now);
        Assert.NotNull(read.Held(spend));
        Assert.False(read.Changed);

        var taken = Stored();
        taken.Get(orders)!.Add(Definitions.Aggregates[orders].Aggregate, new Fact(Now, 9, null));
        Assert.True(taken.Changed);

        var mergedInto = ProfileState.Empty(RegisteredBeforeNames);
        mergedInto.Put(spend, Stored().Get(spend)!);
        Assert.True(mergedInto.Changed);

        var leftOut = Stored();
        leftOut.Forget(spend);
        Assert.True(leftOut.Changed);
        Assert.True(Stored().WithoutAggregates().Changed);
        var nothingToLeave = ProfileState.Empty(RegisteredBeforeNames);
        nothingToLeave.Forget(spend);
        Assert.False(nothingToLeave.Changed);
    }

    private static IEnumerable<string> Aggregates(ProfileState state) =>
        Enumerable.Range(0, state.Layout.Aggregates).Where(state.Has).Select(slot => Definitions.Aggregates[slot].Key);

    private static IEnumerable<(string Key, string? Json)> Values(ProfileState state) =>
        state.Layout.Keys.Select(key => (key, state.Value(key))).Where(v => v.Item2 is not null);
}
