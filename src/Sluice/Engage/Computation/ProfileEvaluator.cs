using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Engage.Definitions;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>
/// Computes every definition for one profile at an instant: computed traits from their aggregates,
/// audiences from their conditions (each after the audiences it refers to), and the next instant at which
/// one of them could change with time alone (an event entering or leaving a window, a date trait reaching a
/// <c>within_last</c> edge): the profile is evaluated again then, whether or not an event comes.
/// </summary>
internal sealed class ProfileEvaluator(EngageDefinitions definitions)
{
    private readonly HashSet<string> _audienceKeys = definitions.Audiences.Select(a => a.Key).ToHashSet(StringComparer.Ordinal);

    /// <summary>Per audience, the aggregates and the traits (a profile's, or another definition's) its condition reads.</summary>
    private readonly Dictionary<string, (string[] Aggregates, string[] Traits)> _inputs = definitions.Audiences.ToDictionary(
        a => a.Key,
        a => (EngageDefinitions.EventConditions(a.Condition).Select(c => c.Aggregate.Key).Distinct(StringComparer.Ordinal).ToArray(),
              EngageDefinitions.TraitConditions(a.Condition).Select(c => c.Key).Distinct(StringComparer.Ordinal).ToArray()),
        StringComparer.Ordinal);

    /// <summary>The profile traits audiences read (not the definitions' own values): all a step needs of a profile's traits.</summary>
    public IReadOnlySet<string> ProfileTraitKeys { get; } = definitions.Audiences
        .SelectMany(a => EngageDefinitions.TraitConditions(a.Condition))
        .Select(t => t.Key)
        .Where(key => !definitions.Defines(key))
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>Identifier types that make a profile known (Segment's rule); <c>anonymous_id</c> too when a definition includes anonymous users.</summary>
    public static readonly IReadOnlySet<string> KnownTypes = new HashSet<string>(StringComparer.Ordinal) { "user_id", "email", "android.idfa", "ios.idfa" };

    public EngageDefinitions Definitions => definitions;

    /// <summary>The event's name as aggregates see it: a track's <c>event</c>, "Page Viewed" for a page call, "Screen Viewed" for a screen call.</summary>
    public static string? EventNameOf(JsonElement message) => Text(message, "type") switch
    {
        "track" => Text(message, "event"),
        "page" => "Page Viewed",
        "screen" => "Screen Viewed",
        _ => null,
    };

    /// <summary>
    /// Adds the message to the states of the aggregates it qualifies for (of <paramref name="only"/>, when
    /// given); whether any took it. Those that did are added to <paramref name="taken"/>.
    /// </summary>
    public bool Take(Dictionary<string, AggregateState> states, JsonElement message, long order, long receivedAt, IReadOnlySet<string>? only = null, ISet<string>? taken = null)
    {
        if (EventNameOf(message) is not { } name || !definitions.EventNames.Contains(name))
        {
            return false;
        }

        var at = TimestampOf(message) ?? receivedAt;
        var took = false;
        foreach (var aggregate in definitions.Aggregates)
        {
            if (aggregate.Aggregate.Event != name || (only is not null && !only.Contains(aggregate.Key)) || (aggregate.Where is { } where && !where.Matches(message)))
            {
                continue;
            }

            string? value = null;
            if (aggregate.Aggregate.Property is { } property)
            {
                if (PropertyOf(message, property) is not { } found || found.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                value = found.GetRawText();
            }

            if (!states.TryGetValue(aggregate.Key, out var state))
            {
                states[aggregate.Key] = state = new AggregateState();
            }

            state.Add(aggregate.Aggregate, new Fact(at, order, value));
            taken?.Add(aggregate.Key);
            took = true;
        }

        return took;
    }

    /// <summary>
    /// The value of every definition at <paramref name="now"/> (Unix ms), by key: a computed trait's value
    /// (null: none), an audience's membership; and when to evaluate again (null: only when an event comes).
    /// With <paramref name="scope"/>, only the definitions whose inputs it names (or whose inputs are
    /// definitions evaluated) are, and the others are read from <paramref name="stored"/> where an
    /// audience refers to them; the instants the others could change at are the caller's to keep.
    /// </summary>
    public (Dictionary<string, JsonNode?> Values, long? Next) Evaluate(
        IReadOnlyDictionary<string, AggregateState> states,
        Func<string, JsonNode?> trait,
        IReadOnlySet<string> identifierTypes,
        long now,
        EvaluationScope? scope = null,
        IReadOnlyDictionary<string, string>? stored = null)
    {
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        long? next = null;
        void Soonest(long? at)
        {
            if (at is { } a && a > now && (next is null || a < next))
            {
                next = a;
            }
        }

        foreach (var aggregate in definitions.Aggregates)
        {
            if (states.TryGetValue(aggregate.Key, out var state))
            {
                Soonest(state.NextChange(aggregate.Aggregate, now));
            }
        }

        // Each aggregate and trait is read once, however many definitions use it; comparisons only read the nodes.
        var aggregates = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        JsonNode? AggregateValue(EventAggregate aggregate)
        {
            if (!aggregates.TryGetValue(aggregate.Key, out var value))
            {
                aggregates[aggregate.Key] = value = states.TryGetValue(aggregate.Key, out var state) ? state.Value(aggregate, now) : null;
            }

            return value;
        }

        foreach (var computed in definitions.Traits)
        {
            if (scope is null || scope.Aggregates.Contains(computed.Aggregate.Key))
            {
                values[computed.Key] = Eligible(identifierTypes, computed.IncludeAnonymous) ? AggregateValue(computed.Aggregate) : null;
            }
        }

        var traits = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        JsonNode? ValueOf(string key)
        {
            if (values.TryGetValue(key, out var value))
            {
                return value;
            }

            if (!traits.TryGetValue(key, out var read))
            {
                traits[key] = read = scope is not null && definitions.Defines(key) ? Stored(stored, key) : trait(key);
            }

            return read;
        }

        foreach (var audience in definitions.Audiences)
        {
            if (scope is not null && !Affected(audience.Key, scope, values))
            {
                continue;
            }

            var member = Eligible(identifierTypes, audience.IncludeAnonymous) && Holds(audience.Condition, AggregateValue, ValueOf, now, Soonest);
            values[audience.Key] = JsonValue.Create(member);
        }

        return (values, next);
    }

    /// <summary>Whether an audience reads an aggregate or a profile trait <paramref name="scope"/> names, or a definition evaluated already (definitions come after those they read).</summary>
    private bool Affected(string audience, EvaluationScope scope, Dictionary<string, JsonNode?> evaluated)
    {
        var (aggregates, traits) = _inputs[audience];
        foreach (var aggregate in aggregates)
        {
            if (scope.Aggregates.Contains(aggregate))
            {
                return true;
            }
        }

        foreach (var trait in traits)
        {
            if (definitions.Defines(trait) ? evaluated.ContainsKey(trait) : scope.Traits.Contains(trait))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A definition's value as last stored: a value never stored is no value, or no membership for an audience (what an evaluation gives).</summary>
    private JsonNode? Stored(IReadOnlyDictionary<string, string>? stored, string key) =>
        stored?.GetValueOrDefault(key) is { } json ? JsonNode.Parse(json) : _audienceKeys.Contains(key) ? JsonValue.Create(false) : null;

    /// <summary>
    /// Why a profile has the value it has at <paramref name="now"/>: per definition, whether the profile
    /// counts (its identifier types), its value, and for an audience each condition with the value it
    /// compared and whether it held; when time alone changes one next.
    /// </summary>
    public JsonArray Explain(IReadOnlyDictionary<string, AggregateState> states, Func<string, JsonNode?> trait, IReadOnlySet<string> identifierTypes, long now)
    {
        var (values, _) = Evaluate(states, trait, identifierTypes, now);
        JsonNode? ValueOf(string key) => values.TryGetValue(key, out var value) ? value?.DeepClone() : trait(key);
        var explained = new JsonArray();
        foreach (var computed in definitions.Traits)
        {
            var state = states.GetValueOrDefault(computed.Aggregate.Key);
            explained.Add(new JsonObject
            {
                ["key"] = computed.Key,
                ["kind"] = "trait",
                ["eligible"] = Eligible(identifierTypes, computed.IncludeAnonymous),
                ["value"] = values[computed.Key]?.DeepClone(),
                ["aggregate"] = computed.Aggregate.Key,
                ["changesAt"] = Iso(state?.NextChange(computed.Aggregate, now)),
            });
        }

        foreach (var audience in definitions.Audiences)
        {
            explained.Add(new JsonObject
            {
                ["key"] = audience.Key,
                ["kind"] = "audience",
                ["eligible"] = Eligible(identifierTypes, audience.IncludeAnonymous),
                ["value"] = values[audience.Key]?.DeepClone(),
                ["condition"] = Node(audience.Condition, states, ValueOf, now),
            });
        }

        return explained;
    }

    private static JsonObject Node(EngageCondition condition, IReadOnlyDictionary<string, AggregateState> states, Func<string, JsonNode?> valueOf, long now)
    {
        long? next = null;
        void Soonest(long? at)
        {
            if (at is { } a && a > now && (next is null || a < next))
            {
                next = a;
            }
        }

        var holds = Holds(condition, a => states.TryGetValue(a.Key, out var s) ? s.Value(a, now) : null, valueOf, now, Soonest);
        var node = condition switch
        {
            AllOf all => new JsonObject { ["all"] = new JsonArray(Node(all.Left, states, valueOf, now), Node(all.Right, states, valueOf, now)) },
            AnyOf any => new JsonObject { ["any"] = new JsonArray(Node(any.Left, states, valueOf, now), Node(any.Right, states, valueOf, now)) },
            NoneOf none => new JsonObject { ["not"] = Node(none.Inner, states, valueOf, now) },
            EventCondition e => new JsonObject
            {
                ["aggregate"] = e.Aggregate.Key,
                ["value"] = (states.TryGetValue(e.Aggregate.Key, out var state) ? state.Value(e.Aggregate, now) : null) ?? Empty(e.Aggregate),
                ["comparison"] = Text(e.Comparison),
            },
            TraitCondition t => new JsonObject { ["trait"] = t.Key, ["value"] = valueOf(t.Key), ["comparison"] = Text(t.Comparison) },
            _ => new JsonObject(),
        };
        node["holds"] = holds;
        if (condition is EventCondition or TraitCondition && next is not null)
        {
            node["changesAt"] = Iso(next);
        }

        return node;
    }

    /// <summary>A comparison as the query language writes it: <c>&gt;= 2</c>, <c>.one_of('a', 'b')</c>, <c>.within_last(7 days)</c>.</summary>
    public static string Text(Comparison comparison)
    {
        static string Value(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var text) ? EventAggregate.Quote(text) : value?.ToJsonString() ?? "null";
        var method = Comparison.Methods.FirstOrDefault(m => m.Value == comparison.Operator).Key ?? comparison.Operator;
        return comparison.Operator switch
        {
            "=" or "!=" or "<" or "<=" or ">" or ">=" => $"{comparison.Operator} {Value(comparison.Values[0])}",
            _ when comparison.Period is { } period => $".{method}({(period.TotalDays == Math.Floor(period.TotalDays)
                ? period.TotalDays.ToString(CultureInfo.InvariantCulture) + " days"
                : period.TotalHours.ToString(CultureInfo.InvariantCulture) + " hours")})",
            _ => $".{method}({string.Join(", ", comparison.Values.Select(Value))})",
        };
    }

    private static string? Iso(long? at) => at is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("O", CultureInfo.InvariantCulture) : null;

    /// <summary>A value's JSON text, without a writer for the common ones (a count, a membership): what is stored and compared.</summary>
    public static string Json(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v when v.TryGetValue<long>(out var l) => l.ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<int>(out var i) => i.ToString(CultureInfo.InvariantCulture),
        _ => value.ToJsonString(),
    };

    public static bool Eligible(IReadOnlySet<string> identifierTypes, bool includeAnonymous) =>
        identifierTypes.Any(KnownTypes.Contains) || (includeAnonymous && identifierTypes.Contains("anonymous_id"));

    private static bool Holds(EngageCondition condition, Func<EventAggregate, JsonNode?> aggregateValue, Func<string, JsonNode?> valueOf, long now, Action<long?> soonest) => condition switch
    {
        AllOf all => Holds(all.Left, aggregateValue, valueOf, now, soonest) & Holds(all.Right, aggregateValue, valueOf, now, soonest),
        AnyOf any => Holds(any.Left, aggregateValue, valueOf, now, soonest) | Holds(any.Right, aggregateValue, valueOf, now, soonest),
        NoneOf none => !Holds(none.Inner, aggregateValue, valueOf, now, soonest),
        EventCondition e => Comparisons.Holds(e.Comparison, aggregateValue(e.Aggregate) ?? Empty(e.Aggregate), now, soonest),
        TraitCondition t => Comparisons.Holds(t.Comparison, valueOf(t.Key), now, soonest),
        _ => false,
    };

    /// <summary>An aggregate over no events: a count is 0 (so <c>count() = 0</c> holds for a profile that never did it), anything else has no value.</summary>
    private static JsonNode? Empty(EventAggregate aggregate) => aggregate.Counts ? JsonValue.Create(0) : null;

    /// <summary>The value at a property path (<c>a.b</c>) of the message's properties; a page's or screen's <c>name</c> is also <c>page_name</c> / <c>screen_name</c>.</summary>
    public static JsonElement? PropertyOf(JsonElement message, string path)
    {
        if (message.TryGetProperty("properties", out var properties) && At(properties, path) is { } found)
        {
            return found;
        }

        return (path, Text(message, "type")) is ("page_name", "page") or ("screen_name", "screen") && message.TryGetProperty("name", out var name)
            ? name
            : null;
    }

    private static JsonElement? At(JsonElement value, string path)
    {
        foreach (var part in path.Split('.'))
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(part, out value))
            {
                return null;
            }
        }

        return value;
    }

    public static long? TimestampOf(JsonElement message) =>
        Text(message, "timestamp") is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.ToUnixTimeMilliseconds()
            : null;

    private static string? Text(JsonElement message, string name) =>
        message.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
