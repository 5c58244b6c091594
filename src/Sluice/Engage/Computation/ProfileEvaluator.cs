using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Engage.Definitions;
using Sluice.Profiles;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>
/// Computes every definition for one profile at an instant: computed traits from their aggregates,
/// audiences from their conditions (each after the audiences it refers to), and the next instant at which
/// one of them could change with time alone (an event entering or leaving a window, a date trait reaching a
/// <c>within_last</c> edge): the profile is evaluated again then, whether or not an event comes.
/// </summary>
internal sealed class ProfileEvaluator
{
    private readonly EngageDefinitions _definitions;

    /// <summary>Per computed trait (its slot), the index of its aggregate in the definitions' aggregates.</summary>
    private readonly int[] _traitAggregates;

    private readonly CompiledAudience[] _audiences;

    /// <summary>Per event name, the indexes of the aggregates that take it.</summary>
    private readonly Dictionary<string, int[]> _aggregatesOfEvent;
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _aggregatesOfEventBySpan;

    /// <param name="layout">The definitions, with how their states are stored (<see cref="StateLayout.For"/>).</param>
    public ProfileEvaluator(StateLayout layout)
    {
        var definitions = layout.Definitions;
        _definitions = definitions;
        var aggregateSlots = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < definitions.Aggregates.Count; i++)
        {
            aggregateSlots[definitions.Aggregates[i].Key] = i;
        }

        _aggregatesOfEvent = aggregateSlots.GroupBy(a => definitions.Aggregates[a.Value].Aggregate.Event, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(a => a.Value).Order().ToArray(), StringComparer.Ordinal);
        _aggregatesOfEventBySpan = _aggregatesOfEvent.GetAlternateLookup<ReadOnlySpan<char>>();
        Layout = layout;
        _traitAggregates = [.. definitions.Traits.Select(t => aggregateSlots[t.Aggregate.Key])];
        _audiences = [.. definitions.Audiences.Select(a => new CompiledAudience(
            a,
            Layout.DefinitionSlot(a.Key),
            Compile(a.Condition, aggregateSlots, Layout),
            [.. EngageDefinitions.EventConditions(a.Condition).Select(c => aggregateSlots[c.Aggregate.Key]).Distinct()],
            [.. EngageDefinitions.TraitConditions(a.Condition).Select(c => Layout.DefinitionSlot(c.Key)).Where(slot => slot >= 0).Distinct()],
            [.. EngageDefinitions.TraitConditions(a.Condition).Where(c => Layout.DefinitionSlot(c.Key) < 0).Select(c => c.Key).Distinct(StringComparer.Ordinal)]))];
        ProfileTraitKeys = _audiences.SelectMany(a => a.ProfileTraits).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>An audience's condition as evaluated: aggregates and definitions by slot, each comparison with its operand.</summary>
    private abstract record Test;

    private sealed record Both(Test Left, Test Right) : Test;

    private sealed record Either(Test Left, Test Right) : Test;

    private sealed record Not(Test Inner) : Test;

    /// <param name="Empty">The aggregate's value over no events (<see cref="Empty(EventAggregate)"/>): compared, never attached to a document.</param>
    /// <param name="Count">A count (<see cref="Reducer.Count"/>) compared with a number: compared without a node (null: another aggregate or comparison).</param>
    private sealed record OnAggregate(int Slot, Comparison Comparison, JsonNode? Empty, CountComparison? Count) : Test;

    /// <summary>A computed trait or audience an audience refers to (by its slot).</summary>
    private sealed record OnDefinition(int Slot, Comparison Comparison) : Test;

    private sealed record OnProfileTrait(string Key, Comparison Comparison) : Test;

    /// <param name="Aggregates">The aggregates (indexes) its condition reads.</param>
    /// <param name="Definitions">The definitions (slots) its condition reads.</param>
    /// <param name="ProfileTraits">The profile traits its condition reads.</param>
    private sealed record CompiledAudience(AudienceDefinition Definition, int Slot, Test Test, int[] Aggregates, int[] Definitions, string[] ProfileTraits)
    {
        public bool IncludeAnonymous => Definition.IncludeAnonymous;
    }

    private static Test Compile(EngageCondition condition, Dictionary<string, int> aggregates, StateLayout layout) => condition switch
    {
        AllOf all => new Both(Compile(all.Left, aggregates, layout), Compile(all.Right, aggregates, layout)),
        AnyOf any => new Either(Compile(any.Left, aggregates, layout), Compile(any.Right, aggregates, layout)),
        NoneOf none => new Not(Compile(none.Inner, aggregates, layout)),
        EventCondition e => new OnAggregate(aggregates[e.Aggregate.Key], e.Comparison, Empty(e.Aggregate), e.Aggregate.Reducer == Reducer.Count ? CountComparison.Of(e.Comparison) : null),
        TraitCondition t when layout.DefinitionSlot(t.Key) is var slot and >= 0 => new OnDefinition(slot, t.Comparison),
        TraitCondition t => new OnProfileTrait(t.Key, t.Comparison),
        _ => throw new ArgumentOutOfRangeException(nameof(condition), condition.GetType().Name, "not a condition"),
    };

    /// <summary>The profile traits audiences read (not the definitions' own values): all a step needs of a profile's traits.</summary>
    public IReadOnlySet<string> ProfileTraitKeys { get; }

    /// <summary>Identifier types that make a profile known (Segment's rule); <c>anonymous_id</c> too when a definition includes anonymous users.</summary>
    public static readonly IReadOnlySet<string> KnownTypes = new HashSet<string>(StringComparer.Ordinal) { "user_id", "email", "android.idfa", "ios.idfa" };

    public EngageDefinitions Definitions => _definitions;

    /// <summary>How the definitions' states are stored; its definition slots are this evaluator's.</summary>
    public StateLayout Layout { get; }

    /// <summary>The event's name as aggregates see it: a track's <c>event</c>, "Page Viewed" for a page call, "Screen Viewed" for a screen call.</summary>
    public static string? EventNameOf(JsonElement message) => Text(message, "type") switch
    {
        "track" => Text(message, "event"),
        "page" => "Page Viewed",
        "screen" => "Screen Viewed",
        _ => null,
    };

    /// <summary>The aggregates (by slot) that take events of the message's name (<see cref="EventNameOf"/>), read without making the name a string.</summary>
    private bool TryGetAggregates(JsonElement message, out int[] slots)
    {
        slots = [];
        if (!message.TryGetProperty("type"u8, out var type) || type.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        if (!type.ValueEquals("track"u8))
        {
            var name = type.ValueEquals("page"u8) ? "Page Viewed" : type.ValueEquals("screen"u8) ? "Screen Viewed" : null;
            return name is not null && _aggregatesOfEvent.TryGetValue(name, out slots!);
        }

        if (!message.TryGetProperty("event"u8, out var e) || e.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        const int Short = 128;
        // The raw value of a string is its JSON text, quotes included.
        var raw = JsonMarshal.GetRawUtf8Value(e)[1..^1];
        if (raw.Length > Short || raw.Contains((byte)'\\'))
        {
            return _aggregatesOfEvent.TryGetValue(e.GetString()!, out slots!);
        }

        Span<char> chars = stackalloc char[Short];
        return _aggregatesOfEventBySpan.TryGetValue(chars[..Encoding.UTF8.GetChars(raw, chars)], out slots!);
    }

    /// <summary>Whether any aggregate takes events of the message's name: one that none takes is not kept to be taken later.</summary>
    public bool TakesEventsOf(JsonElement message) => TryGetAggregates(message, out _);

    /// <summary>
    /// Adds the message to the states of the aggregates it qualifies for (of <paramref name="only"/>, when
    /// given); whether any took it. Those that did are added to <paramref name="taken"/>.
    /// </summary>
    public bool Take(ProfileState state, JsonElement message, long order, long receivedAt, IReadOnlySet<string>? only = null, EvaluationScope? taken = null)
    {
        if (!TryGetAggregates(message, out var slots))
        {
            return false;
        }

        var at = EventResolution.TimestampOf(message) ?? receivedAt;
        var took = false;
        foreach (var slot in slots)
        {
            var aggregate = _definitions.Aggregates[slot];
            if ((only is not null && !only.Contains(aggregate.Key))
                || (aggregate.Aggregate.Dates is { } dates && !dates.Takes(at))
                || (aggregate.Where is { } where && !where.Matches(message)))
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

            state.GetOrAdd(slot).Add(aggregate.Aggregate, new Fact(at, order, value));
            taken?.Took(slot);
            took = true;
        }

        return took;
    }

    /// <summary>
    /// The value of every definition at <paramref name="now"/> (Unix ms), by key: a computed trait's value
    /// (null: none), an audience's membership; and when to evaluate again (null: only when an event comes).
    /// </summary>
    public (Dictionary<string, JsonNode?> Values, long? Next) Evaluate(
        ProfileState state,
        Func<string, JsonNode?> trait,
        IReadOnlySet<string> identifierTypes,
        long now)
    {
        var evaluation = Evaluate(new Evaluation(this), state, trait, identifierTypes, now);
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        for (var slot = 0; slot < Slots; slot++)
        {
            values[KeyOf(slot)] = evaluation.Value(slot);
        }

        return (values, evaluation.Next);
    }

    /// <summary>
    /// Evaluates into <paramref name="evaluation"/> (made for this evaluator, reused from one profile to the
    /// next). With <paramref name="scope"/>, only the definitions whose inputs it names (or whose inputs are
    /// definitions evaluated) are, and the others are read from the stored values where an audience refers to
    /// them; the instants the others could change at (and those of the aggregates the step has not read) are
    /// the caller's to keep.
    /// </summary>
    public Evaluation Evaluate(
        Evaluation evaluation,
        ProfileState state,
        Func<string, JsonNode?> trait,
        IReadOnlySet<string> identifierTypes,
        long now,
        EvaluationScope? scope = null)
    {
        evaluation.Start(state, trait, now);
        for (var slot = 0; slot < _definitions.Aggregates.Count; slot++)
        {
            // In a scope, the aggregates not read cannot have moved: the instant they change at is the caller's.
            if ((scope is null ? state.Get(slot) : state.Held(slot)) is { } aggregate)
            {
                evaluation.Soonest(aggregate.NextChange(_definitions.Aggregates[slot].Aggregate, now));
            }
        }

        var (known, anonymous) = Identified(identifierTypes);
        for (var slot = 0; slot < _traitAggregates.Length; slot++)
        {
            var computed = _definitions.Traits[slot];
            if (scope is null || scope.HasTaken(_traitAggregates[slot]))
            {
                evaluation.Computed(slot, known || (computed.IncludeAnonymous && anonymous) ? evaluation.AggregateValue(_traitAggregates[slot]) : null);
            }
        }

        for (var i = 0; i < _audiences.Length; i++)
        {
            var audience = _audiences[i];
            if (scope is not null && !Affected(audience, scope, evaluation))
            {
                continue;
            }

            evaluation.Membership(audience.Slot, (known || (audience.IncludeAnonymous && anonymous)) && Holds(audience.Test, evaluation));
        }

        return evaluation;
    }

    /// <summary>Whether an audience reads an aggregate or a profile trait <paramref name="scope"/> names, or a definition evaluated already (definitions come after those they read).</summary>
    private bool Affected(CompiledAudience audience, EvaluationScope scope, Evaluation evaluation)
    {
        foreach (var aggregate in audience.Aggregates)
        {
            if (scope.HasTaken(aggregate))
            {
                return true;
            }
        }

        foreach (var slot in audience.Definitions)
        {
            if (evaluation.Evaluated(slot))
            {
                return true;
            }
        }

        foreach (var trait in audience.ProfileTraits)
        {
            if (scope.WasSet(trait))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The definitions' keys by slot: computed traits, then audiences in the order they are computed.</summary>
    public string KeyOf(int slot) => Layout.Keys[slot];

    public int Slots => Layout.Keys.Count;

    /// <summary>Whether the slot is an audience's (a membership) rather than a computed trait's.</summary>
    public bool IsAudience(int slot) => slot >= _traitAggregates.Length;

    /// <summary>A definition's value as last stored: a value never stored is no value, or no membership for an audience (what an evaluation gives).</summary>
    internal JsonNode? Stored(ProfileState state, int slot) =>
        state.Value(slot) is { } json ? JsonNode.Parse(json) : IsAudience(slot) ? JsonValue.Create(false) : null;

    /// <summary>
    /// Why a profile has the value it has at <paramref name="now"/>: per definition, whether the profile
    /// counts (its identifier types), its value, and for an audience each condition with the value it
    /// compared and whether it held; when time alone changes one next.
    /// </summary>
    public JsonArray Explain(ProfileState state, Func<string, JsonNode?> trait, IReadOnlySet<string> identifierTypes, long now)
    {
        var evaluation = Evaluate(new Evaluation(this), state, trait, identifierTypes, now);
        var (known, anonymous) = Identified(identifierTypes);
        var explained = new JsonArray();
        for (var slot = 0; slot < _traitAggregates.Length; slot++)
        {
            var computed = _definitions.Traits[slot];
            var aggregate = state.Get(_traitAggregates[slot]);
            explained.Add(new JsonObject
            {
                ["key"] = computed.Key,
                ["kind"] = "trait",
                ["eligible"] = known || (computed.IncludeAnonymous && anonymous),
                ["value"] = evaluation.Value(slot),
                ["aggregate"] = computed.Aggregate.Key,
                ["changesAt"] = Iso(aggregate?.NextChange(computed.Aggregate, now)),
            });
        }

        foreach (var audience in _audiences)
        {
            explained.Add(new JsonObject
            {
                ["key"] = audience.Definition.Key,
                ["kind"] = "audience",
                ["eligible"] = known || (audience.IncludeAnonymous && anonymous),
                ["value"] = evaluation.Value(audience.Slot),
                ["condition"] = Node(audience.Test, evaluation),
            });
        }

        return explained;
    }

    private JsonObject Node(Test test, Evaluation evaluation)
    {
        var next = evaluation.Next;
        evaluation.Next = null;
        var holds = Holds(test, evaluation);
        var changesAt = evaluation.Next;
        evaluation.Next = next;
        var node = test switch
        {
            Both both => new JsonObject { ["all"] = new JsonArray(Node(both.Left, evaluation), Node(both.Right, evaluation)) },
            Either either => new JsonObject { ["any"] = new JsonArray(Node(either.Left, evaluation), Node(either.Right, evaluation)) },
            Not not => new JsonObject { ["not"] = Node(not.Inner, evaluation) },
            OnAggregate e => new JsonObject
            {
                ["aggregate"] = _definitions.Aggregates[e.Slot].Key,
                ["value"] = (evaluation.AggregateValue(e.Slot) ?? Empty(_definitions.Aggregates[e.Slot].Aggregate))?.DeepClone(),
                ["comparison"] = Text(e.Comparison),
            },
            OnDefinition d => new JsonObject { ["trait"] = KeyOf(d.Slot), ["value"] = evaluation.ValueOf(d.Slot)?.DeepClone(), ["comparison"] = Text(d.Comparison) },
            OnProfileTrait t => new JsonObject { ["trait"] = t.Key, ["value"] = evaluation.ProfileTrait(t.Key)?.DeepClone(), ["comparison"] = Text(t.Comparison) },
            _ => new JsonObject(),
        };
        node["holds"] = holds;
        if (test is OnAggregate or OnDefinition or OnProfileTrait && changesAt is not null)
        {
            node["changesAt"] = Iso(changesAt);
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

    private const int SmallCounts = 1024;

    /// <summary>The texts of the counts most values are, made once.</summary>
    private static readonly string[] SmallCountTexts = [.. Enumerable.Range(0, SmallCounts).Select(n => n.ToString(CultureInfo.InvariantCulture))];

    /// <summary>A value's JSON text, without a writer for the common ones (a count, a membership): what is stored and compared.</summary>
    public static string Json(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v when v.TryGetValue<long>(out var l) => l is >= 0 and < SmallCounts ? SmallCountTexts[l] : l.ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<int>(out var i) => i.ToString(CultureInfo.InvariantCulture),
        _ => value.ToJsonString(),
    };

    /// <summary>Whether a profile with these identifier types is known (Segment's rule), and whether it has an anonymous id.</summary>
    private static (bool Known, bool Anonymous) Identified(IReadOnlySet<string> identifierTypes)
    {
        var known = false;
        foreach (var type in identifierTypes)
        {
            known |= KnownTypes.Contains(type);
        }

        return (known, identifierTypes.Contains("anonymous_id"));
    }

    private static bool Holds(Test test, Evaluation evaluation) => test switch
    {
        Both both => Holds(both.Left, evaluation) & Holds(both.Right, evaluation),
        Either either => Holds(either.Left, evaluation) | Holds(either.Right, evaluation),
        Not not => !Holds(not.Inner, evaluation),
        OnAggregate { Count: { } count } e => count.Holds(evaluation.AggregateCount(e.Slot) ?? 0),
        OnAggregate e => Comparisons.Holds(e.Comparison, evaluation.AggregateValue(e.Slot) ?? e.Empty, evaluation.Now, ref evaluation.Next),
        OnDefinition d => Comparisons.Holds(d.Comparison, evaluation.ValueOf(d.Slot), evaluation.Now, ref evaluation.Next),
        OnProfileTrait t => Comparisons.Holds(t.Comparison, evaluation.ProfileTrait(t.Key), evaluation.Now, ref evaluation.Next),
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
        foreach (var part in path.AsSpan().Split('.'))
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(path.AsSpan(part), out value))
            {
                return null;
            }
        }

        return value;
    }

    private static string? Text(JsonElement message, string name) =>
        message.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
