using System.Text.Json.Nodes;
using Sluice.Engage.Computation;

namespace Sluice.Workspace;

public sealed class EngageQueryParserTests
{
    // Queries from Segment's query language reference (segment-docs, src/api/public-api/query-language.md).
    [Theory]
    [InlineData("event('Shoes Bought').within(30 days).avg(property('spend'))", "event('Shoes Bought').within(30 days).avg(property('spend'))")]
    [InlineData("event('Shoes Bought').where( property('price') > 100 AND property('brand') = 'My Brand' ).min(property('spend'))", "event('Shoes Bought').where((properties.price > 100 and properties.brand = \"My Brand\")).min(property('spend'))")]
    [InlineData("event('Shoes Bought').within(30 days).first(property('spend'))", "event('Shoes Bought').within(30 days).first(property('spend'))")]
    [InlineData("event('Shoes Bought').within(30 days).mode(property('spend'), 2)", "event('Shoes Bought').within(30 days).mode(property('spend'), 2)")]
    [InlineData("event('Page Viewed').between(7 days, 10 days).unique(property('url')).count()", "event('Page Viewed').between(7 days, 10 days).unique(property('url')).count()")]
    [InlineData("event('Order Completed').max(property('sku') as string)", "event('Order Completed').max(property('sku') as string)")]
    [InlineData("event('Login').within(36 hours).count()", "event('Login').within(36 hours).count()")]
    [InlineData("event('Order Completed').between(2026-11-27, 2026-11-30).sum(property('total'))", "event('Order Completed').between('2026-11-27', '2026-11-30').sum(property('total'))")]
    [InlineData("event('Order Completed').within(7 days).between('2026-11-27T18:00:00Z', 2026-11-30).count()", "event('Order Completed').between('2026-11-27T18:00:00Z', '2026-11-30').within(7 days).count()")]
    public void Segments_computed_trait_queries_parse_to_one_aggregate(string query, string key) =>
        Assert.Equal(key, EngageQueryParser.ParseComputedTrait(query).Key);

    [Fact]
    public void Segments_audience_examples_parse_with_AND_binding_tighter_than_OR_and_NOT_over_a_comparison()
    {
        var bought = EngageQueryParser.ParseAudience("event('Shoes Bought').where( property('price') >= 100 ).within(7 days).count() >= 1");
        var condition = Assert.IsType<EventCondition>(bought);
        Assert.Equal("properties.price >= 100", condition.Aggregate.Where);
        Assert.Equal(new EventWindow(TimeSpan.Zero, TimeSpan.FromDays(7)), condition.Aggregate.Window);
        Assert.Equal(">=", condition.Comparison.Operator);

        var not = Assert.IsType<NoneOf>(EngageQueryParser.ParseAudience("NOT ( event('Shoes Bought').count() >= 1 AND trait('total_spend') > 200 )"));
        Assert.IsType<AllOf>(not.Inner);
        var or = Assert.IsType<AnyOf>(EngageQueryParser.ParseAudience("trait('a') = 1 OR trait('b') = 2 AND trait('c') = 3"));
        Assert.IsType<AllOf>(or.Right);
        Assert.IsType<NoneOf>(EngageQueryParser.ParseAudience("not event('X').count() >= 1"));
    }

    [Theory]
    [InlineData("trait('VIP') = 'true'", "=")]
    [InlineData("trait('total').equals(500)", "=")]
    [InlineData("trait('total').differs(500)", "!=")]
    [InlineData("trait('total').at_least(500)", ">=")]
    [InlineData("trait('total') == 500", "=")]
    [InlineData("trait('category').one_of('shoes','shirts')", "one_of")]
    [InlineData("trait('category').one_of(['shoes', 'shirts'])", "one_of")]
    [InlineData("trait('category').contains('shoe', 'shirt')", "contains")]
    [InlineData("trait('email').ends_with('@example.com')", "ends_with")]
    [InlineData("trait('email').exists()", "exists")]
    [InlineData("trait('signed_up').before_date(2023-12-07T18:50:00Z)", "before_date")]
    [InlineData("trait('signed_up').after_date('2023-12-07')", "after_date")]
    [InlineData("trait('renewal').within_next(7 days)", "within_next")]
    [InlineData("trait('VIP').equals(literal('true'))", "=")]
    public void Trait_comparisons_take_Segments_operators_and_comparator_methods(string query, string op) =>
        Assert.Equal(op, Assert.IsType<TraitCondition>(EngageQueryParser.ParseAudience(query)).Comparison.Operator);

    [Theory]
    [InlineData("property('plan') != 'free'", "(properties.plan != null and properties.plan != \"free\")")]
    [InlineData("property('category').one_of('shoes', 'hats')", "(properties.category = \"shoes\" or properties.category = \"hats\")")]
    [InlineData("context('page.url').starts_with('https://shop.')", "match(context.page.url, \"https://shop.*\")")]
    [InlineData("NOT property('coupon').exists()", "!(properties.coupon != null)")]
    public void A_where_becomes_fql_with_segments_meaning_of_each_comparison(string where, string fql) =>
        Assert.Equal(fql, EngageQueryParser.ParseComputedTrait($"event('X').where({where}).count()").Where);

    [Theory]
    [InlineData("event('X').count() >=", 21, "expected a value")]
    [InlineData("event('X').total()", 11, "'total' is not a filter or a reducer")]
    [InlineData("event('X').within(30 months).count() > 1", 21, "'months' is not a unit")]
    [InlineData("event('X').between(9 days, 2 days).count() > 1", 11, "B must be longer than A")]
    [InlineData("event('X').between(2026-11-30, 2026-11-27).count() > 1", 19, "B must not be before A")]
    [InlineData("event('X').between(2026-11-27, 30 days).count() > 1", 31, "two dates")]
    [InlineData("event('X').between('soon', 'later').count() > 1", 19, "two dates")]
    [InlineData("event('X').between(2026-11-27, 2026-11-28).between(2026-11-29, 2026-11-30).count() > 1", 43, "given twice")]
    [InlineData("event('X').count() >= 'many'", 22, "compared with a number")]
    [InlineData("trait('a').is_set()", 11, "'is_set' is not a comparator")]
    [InlineData("event('B').within(parent: 5 days).count() >= 1", 18, "funnels")]
    [InlineData("ANY event('X').count() >= 1", 0, "account and linked audiences")]
    [InlineData("event('X').where(property('price') >= trait('avg')).count() >= 1", 38, "dynamic reference")]
    [InlineData("trait('a') = 'b", 13, "not closed")]
    [InlineData("event('X').count()", 18, "expected a comparison")]
    public void A_query_that_does_not_parse_is_refused_with_the_position_and_the_rule(string query, int position, string reason)
    {
        var refused = Assert.Throws<EngageQueryException>(() => EngageQueryParser.ParseAudience(query));
        Assert.Equal(position, refused.Position);
        Assert.Contains(reason, refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Between_two_dates_takes_the_events_from_the_first_instant_of_the_first_to_the_last_of_the_second_in_UTC()
    {
        var dates = EngageQueryParser.ParseComputedTrait("event('Order Completed').between(2026-11-27, 2026-11-30).count()").Dates!;
        var first = DateTimeOffset.Parse("2026-11-27T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        var last = DateTimeOffset.Parse("2026-11-30T23:59:59.999Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        Assert.False(dates.Takes(first - 1));
        Assert.True(dates.Takes(first));
        Assert.True(dates.Takes(last));
        Assert.False(dates.Takes(last + 1));

        // A timestamp is that instant, with its offset.
        var evening = EngageQueryParser.ParseComputedTrait("event('X').between('2026-11-27T18:00:00+01:00', '2026-11-27T20:00:00Z').count()").Dates!;
        Assert.Equal(DateTimeOffset.Parse("2026-11-27T17:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), evening.From);
        Assert.Equal(DateTimeOffset.Parse("2026-11-27T20:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), evening.To);

        // Fixed dates are not a window: nothing leaves them as time passes.
        Assert.Null(EngageQueryParser.ParseComputedTrait("event('X').between(2026-11-27, 2026-11-30).count()").Window);
    }

    [Fact]
    public void A_computed_trait_is_an_aggregate_and_nothing_after_it()
    {
        Assert.Contains("aggregate of events", Assert.Throws<EngageQueryException>(() => EngageQueryParser.ParseComputedTrait("trait('plan') = 'pro'")).Reason, StringComparison.Ordinal);
        Assert.Contains("makes an audience", Assert.Throws<EngageQueryException>(() => EngageQueryParser.ParseComputedTrait("event('X').count() >= 2")).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void More_than_fifty_conditions_are_refused()
    {
        var query = string.Join(" OR ", Enumerable.Range(0, 51).Select(i => $"trait('t{i}') = {i}"));
        Assert.Contains("at most 50 conditions", Assert.Throws<EngageQueryException>(() => EngageQueryParser.ParseAudience(query)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Audiences_that_refer_to_each_other_in_a_cycle_are_refused_and_others_are_ordered_after_what_they_use()
    {
        AudienceDefinition Audience(string key, string query) => new(key, key, query, EngageQueryParser.ParseAudience(query), false);
        var refused = Assert.Throws<EngageDefinitionException>(() => new EngageDefinitions([], [Audience("a", "trait('b') = true"), Audience("b", "trait('c') = true"), Audience("c", "trait('a') = true")]));
        Assert.Contains("would create a cycle: a → b → c → a", refused.Reason, StringComparison.Ordinal);

        var ordered = new EngageDefinitions([], [Audience("uses", "trait('used') = true AND trait('plan') = 'pro'"), Audience("used", "event('X').count() >= 1")]);
        Assert.Equal(["used", "uses"], ordered.Audiences.Select(a => a.Key));
    }

    [Theory]
    [InlineData("Big Spenders", "big_spenders")]
    [InlineData("  Orders (last 30 days) ", "orders_last_30_days")]
    public void A_key_is_the_name_in_snake_case(string name, string key) => Assert.Equal(key, EngageDefinitions.KeyOf(name));

    [Theory]
    [InlineData("=", "\"true\"", true, true)]
    [InlineData("=", "1", "1", true)]
    [InlineData("!=", "\"pro\"", null, false)]
    [InlineData("none_of", "\"pro\"", null, false)]
    [InlineData("absent", null, null, true)]
    [InlineData("<", "10", "\"9.5\"", true)]
    [InlineData("contains", "\"@example\"", "\"ada@example.com\"", true)]
    public void A_missing_value_satisfies_only_absent_and_a_boolean_equals_its_text(string op, string? argument, object? value, bool holds)
    {
        var comparison = new Comparison(op, argument is null ? [] : [JsonNode.Parse(argument)]);
        var node = value switch { bool b => JsonValue.Create(b), string json => JsonNode.Parse(json), _ => null };
        long? next = null;
        Assert.Equal(holds, Comparisons.Holds(comparison, node, 0, ref next));
    }
}
