using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Fql;
using Sluice.Engage.Store;
using Sluice.Workspace;

namespace Sluice.Engage;

/// <summary>An event as the brute force reads it: its place in the log, timestamp (Unix ms), name as aggregates see it, the message, and the profile it belongs to now.</summary>
internal sealed record ReferenceEvent(long Order, long At, long ReceivedAt, string MessageId, string Type, string? Name, JsonElement Message, string Profile);

/// <summary>
/// Every definition for every profile recomputed from all its events at an instant, written from the
/// rules in docs/engage.md without the engine's code: windows as "timestamp later than now − far and at most
/// now − near", reducers with LINQ over the events, traits last-writer-wins by (timestamp, log time,
/// messageId), Segment's eligibility by identifier type.
/// </summary>
internal static class BruteForceEngage
{
    /// <summary>The values at <paramref name="now"/>, by key then profile, as JSON; "no value" (null, an audience's false) is left out.</summary>
    public static Dictionary<string, Dictionary<string, string>> Compute(
        EngageDefinitions definitions,
        IReadOnlyList<ReferenceEvent> events,
        IReadOnlyDictionary<string, IReadOnlySet<string>> identifierTypes,
        long now)
    {
        var result = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var byProfile = events.GroupBy(e => e.Profile).ToDictionary(g => g.Key, g => g.OrderBy(e => e.Order).ToList());
        foreach (var (profile, types) in identifierTypes)
        {
            var mine = byProfile.GetValueOrDefault(profile) ?? [];
            var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            var known = types.Overlaps(["user_id", "email", "android.idfa", "ios.idfa"]);
            foreach (var trait in definitions.Traits)
            {
                values[trait.Key] = known || (trait.IncludeAnonymous && types.Contains("anonymous_id")) ? Aggregate(trait.Aggregate, mine, now) : null;
            }

            var traits = Traits(mine);
            foreach (var audience in definitions.Audiences)
            {
                var eligible = known || (audience.IncludeAnonymous && types.Contains("anonymous_id"));
                values[audience.Key] = JsonValue.Create(eligible && Holds(audience.Condition, mine, k => values.TryGetValue(k, out var v) ? v : traits.GetValueOrDefault(k), now));
            }

            foreach (var (key, value) in values)
            {
                var json = value?.ToJsonString();
                if (json is not (null or "false"))
                {
                    (result.TryGetValue(key, out var of) ? of : result[key] = new(StringComparer.Ordinal))[profile] = json;
                }
            }
        }

        return result;
    }

    private static bool Qualifies(EventAggregate aggregate, ReferenceEvent e) =>
        e.Name == aggregate.Event
        && (aggregate.Dates is null || (e.At >= aggregate.Dates.From && e.At <= aggregate.Dates.To))
        && (aggregate.Where is null || FqlExpression.Compile(aggregate.Where).Matches(e.Message))
        && (aggregate.Property is null || Property(e, aggregate.Property) is { ValueKind: not JsonValueKind.Null });

    private static bool InWindow(EventAggregate aggregate, ReferenceEvent e, long now) =>
        aggregate.Window is not { } w
        || (e.At > now - (long)w.Far.TotalMilliseconds && (w.Near == TimeSpan.Zero || e.At <= now - (long)w.Near.TotalMilliseconds));

    private static JsonElement? Property(ReferenceEvent e, string path)
    {
        var value = e.Message.TryGetProperty("properties", out var p) ? p : default;
        foreach (var part in path.Split('.'))
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(part, out value))
            {
                return null;
            }
        }

        return value;
    }

    public static JsonNode? Aggregate(EventAggregate aggregate, List<ReferenceEvent> mine, long now)
    {
        var qualifying = mine.Where(e => Qualifies(aggregate, e)).ToList();
        var inWindow = qualifying.Where(e => InWindow(aggregate, e, now)).OrderBy(e => e.At).ThenBy(e => e.Order).ToList();
        var texts = inWindow.Select(e => Property(e, aggregate.Property ?? "")?.GetRawText()).OfType<string>().ToList();
        var numbers = texts.Where(t => t[0] is '-' or (>= '0' and <= '9')).Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToList();
        return aggregate.Reducer switch
        {
            Reducer.Count => qualifying.Count > 0 ? JsonValue.Create((long)inWindow.Count) : null,
            Reducer.UniqueCount => qualifying.Count > 0 ? JsonValue.Create(texts.Distinct().Count()) : null,
            Reducer.Sum => numbers.Count > 0 ? JsonValue.Create(numbers.Sum()) : null,
            Reducer.Avg => numbers.Count > 0 ? JsonValue.Create(numbers.Sum() / numbers.Count) : null,
            Reducer.Min => numbers.Count > 0 ? JsonValue.Create(numbers.Min()) : null,
            Reducer.Max => numbers.Count > 0 ? JsonValue.Create(numbers.Max()) : null,
            Reducer.First => texts.Count > 0 ? JsonNode.Parse(texts[0]) : null,
            Reducer.Last => texts.Count > 0 ? JsonNode.Parse(texts[^1]) : null,
            Reducer.Mode => texts.GroupBy(t => t).Where(g => g.Count() >= aggregate.MinFrequency)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => JsonNode.Parse(g.Key)).FirstOrDefault(),
            Reducer.Unique => texts.Count > 0 ? new JsonArray([.. texts.Distinct().Order(StringComparer.Ordinal).Select(t => JsonNode.Parse(t))]) : null,
            _ => throw new ArgumentOutOfRangeException(nameof(aggregate)),
        };
    }

    /// <summary>The profile's traits: per key, the identify whose (timestamp, log time, messageId) is the latest.</summary>
    private static Dictionary<string, JsonNode?> Traits(List<ReferenceEvent> mine)
    {
        var latest = new Dictionary<string, (ReferenceEvent Event, JsonElement Value)>(StringComparer.Ordinal);
        foreach (var e in mine.Where(e => e.Type == "identify" && e.Message.TryGetProperty("traits", out var t) && t.ValueKind == JsonValueKind.Object))
        {
            foreach (var trait in e.Message.GetProperty("traits").EnumerateObject())
            {
                if (!latest.TryGetValue(trait.Name, out var held)
                    || (e.At, e.ReceivedAt).CompareTo((held.Event.At, held.Event.ReceivedAt)) is > 0
                    || ((e.At, e.ReceivedAt) == (held.Event.At, held.Event.ReceivedAt) && string.CompareOrdinal(e.MessageId, held.Event.MessageId) > 0))
                {
                    latest[trait.Name] = (e, trait.Value);
                }
            }
        }

        return latest.ToDictionary(t => t.Key, t => t.Value.Value.ValueKind == JsonValueKind.Null ? null : JsonNode.Parse(t.Value.Value.GetRawText()), StringComparer.Ordinal);
    }

    private static bool Holds(EngageCondition condition, List<ReferenceEvent> mine, Func<string, JsonNode?> trait, long now) => condition switch
    {
        AllOf all => Holds(all.Left, mine, trait, now) && Holds(all.Right, mine, trait, now),
        AnyOf any => Holds(any.Left, mine, trait, now) || Holds(any.Right, mine, trait, now),
        NoneOf none => !Holds(none.Inner, mine, trait, now),
        EventCondition e => Compare(e.Comparison, Aggregate(e.Aggregate, mine, now) ?? (e.Aggregate.Counts ? JsonValue.Create(0) : null)),
        TraitCondition t => Compare(t.Comparison, trait(t.Key)),
        _ => throw new ArgumentOutOfRangeException(nameof(condition)),
    };

    /// <summary>The comparisons the corpus uses: numbers as numbers, strings and booleans as their text.</summary>
    private static bool Compare(Comparison comparison, JsonNode? value)
    {
        if (value is null)
        {
            return comparison.Operator == "absent";
        }

        var argument = comparison.Values.Count > 0 ? comparison.Values[0] : null;
        if (value.GetValueKind() == JsonValueKind.Number && argument?.GetValueKind() == JsonValueKind.Number)
        {
            var (left, right) = (double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture), double.Parse(argument.ToJsonString(), CultureInfo.InvariantCulture));
            return comparison.Operator switch
            {
                "=" => left == right,
                "!=" => left != right,
                "<" => left < right,
                "<=" => left <= right,
                ">" => left > right,
                ">=" => left >= right,
                "exists" => true,
                _ => throw new ArgumentOutOfRangeException(nameof(comparison), comparison.Operator, "not used by the corpus"),
            };
        }

        var text = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
        var wanted = argument?.GetValueKind() == JsonValueKind.String ? argument.GetValue<string>() : argument?.ToJsonString();
        return comparison.Operator switch
        {
            "=" => text == wanted,
            "!=" => text != wanted,
            "exists" => true,
            "absent" => false,
            _ => throw new ArgumentOutOfRangeException(nameof(comparison), comparison.Operator, "not used by the corpus"),
        };
    }
}
