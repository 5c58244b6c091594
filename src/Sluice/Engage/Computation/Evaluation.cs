using System.Text.Json.Nodes;

using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>
/// One profile's evaluation as <see cref="ProfileEvaluator"/> makes it: each definition's value by slot,
/// each aggregate's value read once however many definitions use it, each profile trait parsed once, and
/// the next instant at which time alone changes a value. Made once per evaluator and reused from one
/// profile to the next, so that evaluating a profile allocates little more than its values.
/// </summary>
internal sealed class Evaluation
{
    private readonly ProfileEvaluator _evaluator;
    private readonly JsonNode?[] _values;
    private readonly bool[] _members;
    private readonly Kind[] _kinds;
    private readonly JsonNode?[] _aggregates;
    private readonly bool[] _aggregatesRead;
    private readonly long?[] _counts;
    private readonly bool[] _countsRead;
    private readonly Dictionary<string, JsonNode?> _profileTraits = new(StringComparer.Ordinal);
    private ProfileState? _state;
    private Func<string, JsonNode?> _trait = _ => null;

    public Evaluation(ProfileEvaluator evaluator)
    {
        _evaluator = evaluator;
        _values = new JsonNode?[evaluator.Slots];
        _members = new bool[evaluator.Slots];
        _kinds = new Kind[evaluator.Slots];
        _aggregates = new JsonNode?[evaluator.Definitions.Aggregates.Count];
        _aggregatesRead = new bool[_aggregates.Length];
        _counts = new long?[_aggregates.Length];
        _countsRead = new bool[_aggregates.Length];
    }

    private enum Kind : byte
    {
        /// <summary>Neither evaluated nor read.</summary>
        None,

        Evaluated,

        /// <summary>Not evaluated (out of scope), read from the stored values because an audience refers to it.</summary>
        Stored,
    }

    public long Now { get; private set; }

    /// <summary>The soonest instant after <see cref="Now"/> at which a value could change with time alone (null: none known).</summary>
    public long? Next;

    public void Start(ProfileState state, Func<string, JsonNode?> trait, long now)
    {
        _state = state;
        _trait = trait;
        Now = now;
        Next = null;
        Array.Clear(_values);
        Array.Clear(_kinds);
        Array.Clear(_aggregates);
        Array.Clear(_aggregatesRead);
        Array.Clear(_countsRead);
        _profileTraits.Clear();
    }

    public void Soonest(long? at)
    {
        if (at is { } a)
        {
            Comparisons.Soonest(ref Next, a, Now);
        }
    }

    public void Computed(int slot, JsonNode? value)
    {
        _values[slot] = value;
        _kinds[slot] = Kind.Evaluated;
    }

    public void Membership(int slot, bool member)
    {
        _members[slot] = member;
        _kinds[slot] = Kind.Evaluated;
    }

    public bool Evaluated(int slot) => _kinds[slot] == Kind.Evaluated;

    /// <summary>An evaluated definition's value (a node of this evaluation's own, which the caller may attach to a document once).</summary>
    public JsonNode? Value(int slot) => _evaluator.IsAudience(slot) ? JsonValue.Create(_members[slot]) : _values[slot];

    /// <summary>An evaluated definition's value as JSON text, without a node for a membership or a count.</summary>
    public string Json(int slot) => _evaluator.IsAudience(slot) ? (_members[slot] ? "true" : "false") : ProfileEvaluator.Json(_values[slot]);

    /// <summary>A definition an audience refers to: its value if evaluated, else as stored (read once).</summary>
    public JsonNode? ValueOf(int slot)
    {
        switch (_kinds[slot])
        {
            case Kind.Evaluated when _evaluator.IsAudience(slot):
                return JsonValue.Create(_members[slot]);
            case Kind.Evaluated or Kind.Stored:
                return _values[slot];
            default:
                _kinds[slot] = Kind.Stored;
                return _values[slot] = _evaluator.Stored(_state!, slot);
        }
    }

    /// <summary>An aggregate's value at <see cref="Now"/> (null: no state, or no value), read once.</summary>
    public JsonNode? AggregateValue(int index)
    {
        if (!_aggregatesRead[index])
        {
            var aggregate = _evaluator.Definitions.Aggregates[index].Aggregate;
            // A count is counted once, whether a condition compares it as a number or a trait holds it as a node.
            _aggregates[index] = aggregate.Reducer == Reducer.Count
                ? AggregateCount(index) is { } count ? JsonValue.Create(count) : null
                : _state!.Get(index)?.Value(aggregate, Now);
            _aggregatesRead[index] = true;
        }

        return _aggregates[index];
    }

    /// <summary>A count's value at <see cref="Now"/> (null: no state, or no event ever counted), read once, without a node.</summary>
    public long? AggregateCount(int index)
    {
        if (!_countsRead[index])
        {
            _counts[index] = _state!.Get(index)?.Count(_evaluator.Definitions.Aggregates[index].Aggregate, Now);
            _countsRead[index] = true;
        }

        return _counts[index];
    }

    /// <summary>A profile trait (not a definition), parsed once.</summary>
    public JsonNode? ProfileTrait(string key)
    {
        if (!_profileTraits.TryGetValue(key, out var value))
        {
            _profileTraits[key] = value = _trait(key);
        }

        return value;
    }
}
