using System.Text.RegularExpressions;
using Sluice.Actions.Fql;

namespace Sluice.Workspace;

/// <summary>A computed trait: its key is the trait's name on profiles and in what destinations receive.</summary>
internal sealed record ComputedTraitDefinition(string Key, string Name, string Query, EventAggregate Aggregate, bool IncludeAnonymous)
{
    /// <summary>The destinations its values are sent to.</summary>
    public IReadOnlyList<EngageConnection> Destinations { get; init; } = [];
}

/// <summary>An audience: a profile is a member while <see cref="Condition"/> is true.</summary>
internal sealed record AudienceDefinition(string Key, string Name, string Query, EngageCondition Condition, bool IncludeAnonymous)
{
    /// <summary>The destinations its entries and exits are sent to.</summary>
    public IReadOnlyList<EngageConnection> Destinations { get; init; } = [];
}

/// <summary>
/// A computed trait or audience connected to a destination instance, with Segment's settings for the
/// connection: identify calls (on by default), track calls (off by default) and their event names.
/// </summary>
internal sealed record EngageConnection(string DestinationId)
{
    public bool SendIdentify { get; init; } = true;

    public bool SendTrack { get; init; }

    public string EnterEvent { get; init; } = "Audience Entered";

    public string ExitEvent { get; init; } = "Audience Exited";

    public string ComputeEvent { get; init; } = "Trait Computed";

    /// <summary>Why the connection cannot join <paramref name="taken"/> (null: it can), for the file's and the Admin API's checks alike.</summary>
    public string? RefusalAmong(IEnumerable<EngageConnection> taken) =>
        taken.Any(c => c.DestinationId == DestinationId) ? $"destination '{DestinationId}' is connected twice"
        : !SendIdentify && !SendTrack ? "sendIdentify and sendTrack are both false: the connection would send nothing"
        : null;
}

/// <summary>An aggregate with its <c>where</c> compiled, ready to take events.</summary>
internal sealed record CompiledAggregate(EventAggregate Aggregate, FqlExpression? Where)
{
    public string Key { get; } = Aggregate.Key;
}

/// <summary>
/// The workspace's computed traits and audiences, checked and put in the order they are computed: computed
/// traits, then audiences, each after the audiences it refers to (a cycle is refused). Every aggregate the
/// definitions use appears once in <see cref="Aggregates"/>, shared by the definitions that use it.
/// </summary>
internal sealed partial class EngageDefinitions
{
    public static readonly EngageDefinitions None = new([], []);

    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

    public EngageDefinitions(IReadOnlyList<ComputedTraitDefinition> traits, IReadOnlyList<AudienceDefinition> audiences)
    {
        Traits = traits;
        foreach (var key in traits.Select(t => t.Key).Concat(audiences.Select(a => a.Key)))
        {
            if (!_keys.Add(key))
            {
                throw new EngageDefinitionException(key, "the key is used twice: computed traits and audiences share one set of keys");
            }
        }

        Audiences = Order(audiences);
        var aggregates = new Dictionary<string, CompiledAggregate>(StringComparer.Ordinal);
        foreach (var aggregate in traits.Select(t => t.Aggregate).Concat(audiences.SelectMany(a => EventConditions(a.Condition).Select(c => c.Aggregate))))
        {
            aggregates.TryAdd(aggregate.Key, new CompiledAggregate(aggregate, aggregate.Where is { } where ? FqlExpression.Compile(where) : null));
        }

        Aggregates = [.. aggregates.Values];
        Fingerprints = traits.Select(t => (t.Key, Text: $"trait\n{t.Key}\n{t.Aggregate.Key}\n{t.IncludeAnonymous}"))
            .Concat(audiences.Select(a => (a.Key, Text: $"audience\n{a.Key}\n{a.Query}\n{a.IncludeAnonymous}")))
            .ToDictionary(d => d.Key, d => Hash(d.Text), StringComparer.Ordinal);
        Fingerprint = Hash(string.Join("\n", Fingerprints.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}")));
        EventNames = aggregates.Values.Select(a => a.Aggregate.Event).ToHashSet(StringComparer.Ordinal);
    }

    public IReadOnlyList<ComputedTraitDefinition> Traits { get; }

    /// <summary>
    /// Each definition's fingerprint (what it computes: its query and who counts, not its name or
    /// destinations): a definition whose fingerprint changes is evaluated again for every profile.
    /// </summary>
    public IReadOnlyDictionary<string, string> Fingerprints { get; }

    /// <summary>The fingerprint of all the definitions together.</summary>
    public string Fingerprint { get; }

    /// <summary>
    /// Whether the definition <paramref name="key"/> has been evaluated for every profile with what it says now:
    /// <paramref name="evaluated"/> (the store's <c>engage_evaluated</c>: key → fingerprint) holds its fingerprint.
    /// </summary>
    public bool Evaluated(string key, IReadOnlyDictionary<string, string> evaluated) => evaluated.GetValueOrDefault(key) == Fingerprints[key];

    /// <summary>The definitions not <see cref="Evaluated"/> yet.</summary>
    public IEnumerable<string> NotEvaluated(IReadOnlyDictionary<string, string> evaluated) => Fingerprints.Keys.Where(key => !Evaluated(key, evaluated));

    /// <summary>Audiences, each after those its conditions refer to.</summary>
    public IReadOnlyList<AudienceDefinition> Audiences { get; }

    public IReadOnlyList<CompiledAggregate> Aggregates { get; }

    /// <summary>The events some aggregate takes: any other event leaves every state as it is.</summary>
    public IReadOnlySet<string> EventNames { get; }

    public bool Any => Traits.Count > 0 || Audiences.Count > 0;

    /// <summary>Every connection of a definition to a destination, with its definition's key and whether it is an audience.</summary>
    public IEnumerable<(string Key, bool Audience, bool IncludeAnonymous, EngageConnection Connection)> Connections =>
        Traits.SelectMany(t => t.Destinations.Select(c => (t.Key, false, t.IncludeAnonymous, c)))
            .Concat(Audiences.SelectMany(a => a.Destinations.Select(c => (a.Key, true, a.IncludeAnonymous, c))));

    /// <summary>Whether a key names a computed trait or an audience.</summary>
    public bool Defines(string key) => _keys.Contains(key);

    /// <summary>Keys are snake_case: lowercase letters, digits and '_', starting with a letter (what destinations receive as the trait's name).</summary>
    public static bool IsKey(string key) => KeyPattern().IsMatch(key);

    /// <summary>A name as a key: Segment's snake_case (<c>Big Spenders</c> is <c>big_spenders</c>).</summary>
    public static string KeyOf(string name) => NotKey().Replace(name.Trim().ToLowerInvariant(), "_").Trim('_');

    public static IEnumerable<EventCondition> EventConditions(EngageCondition condition) => condition switch
    {
        EventCondition e => [e],
        AllOf all => EventConditions(all.Left).Concat(EventConditions(all.Right)),
        AnyOf any => EventConditions(any.Left).Concat(EventConditions(any.Right)),
        NoneOf none => EventConditions(none.Inner),
        _ => [],
    };

    public static IEnumerable<TraitCondition> TraitConditions(EngageCondition condition) => condition switch
    {
        TraitCondition t => [t],
        AllOf all => TraitConditions(all.Left).Concat(TraitConditions(all.Right)),
        AnyOf any => TraitConditions(any.Left).Concat(TraitConditions(any.Right)),
        NoneOf none => TraitConditions(none.Inner),
        _ => [],
    };

    private static List<AudienceDefinition> Order(IReadOnlyList<AudienceDefinition> audiences)
    {
        var byKey = audiences.ToDictionary(a => a.Key, StringComparer.Ordinal);
        var ordered = new List<AudienceDefinition>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var audience in audiences)
        {
            Visit(audience, []);
        }

        return ordered;

        void Visit(AudienceDefinition audience, List<string> path)
        {
            if (state.TryGetValue(audience.Key, out var done))
            {
                if (!done)
                {
                    throw new EngageDefinitionException(audience.Key, $"would create a cycle: {string.Join(" → ", path.SkipWhile(k => k != audience.Key).Append(audience.Key))}");
                }

                return;
            }

            state[audience.Key] = false;
            path.Add(audience.Key);
            foreach (var reference in TraitConditions(audience.Condition).Select(t => t.Key).Where(byKey.ContainsKey))
            {
                Visit(byKey[reference], path);
            }

            path.RemoveAt(path.Count - 1);
            state[audience.Key] = true;
            ordered.Add(audience);
        }
    }

    private static string Hash(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];

    [GeneratedRegex("^[a-z][a-z0-9_]{0,99}$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotKey();
}

/// <summary>A definition refused as a whole (its key, and why).</summary>
internal sealed class EngageDefinitionException(string key, string reason) : Exception($"{key}: {reason}")
{
    public string Key { get; } = key;

    public string Reason { get; } = reason;
}
