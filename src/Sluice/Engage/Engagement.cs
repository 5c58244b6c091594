using System.Globalization;
using System.Text.Json;
using Sluice.Engage.Computation;
using Sluice.Engage.Definitions;
using Sluice.Engage.Store;
using Sluice.Profiles;
using Sluice.Workspace;

namespace Sluice.Engage;

/// <summary>
/// The workspace's computed traits and audiences as the profiles steps compute them: each step of the
/// profiles consumer (and each recomputation, sweep and backfill step) begins an <see cref="EngageStep"/> at
/// the clock's instant, unless nothing is defined. An aggregate of events the definitions use for the first
/// time is registered by the step that first sees it, with the profiles consumer's cursors then: the events
/// up to them are the backfill's to compute (<see cref="EngageBackfill"/>), the later ones the consumer's.
/// </summary>
internal sealed class Engagement(EngageDefinitionsSource source, TimeProvider time) : IProfileStepPart
{
    public static readonly Engagement Off = new(EngageDefinitions.None, TimeProvider.System);

    private volatile ProfileEvaluator _evaluator = new(source.Last);

    /// <summary>Aggregates known to be registered in the store (a step that registers one has not committed yet: it is not here).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _registered = new(StringComparer.Ordinal);

    /// <summary>Fixed definitions, none stored (tests, tools).</summary>
    public Engagement(EngageDefinitions definitions, TimeProvider time)
        : this(new EngageDefinitionsSource(definitions, readsStore: false), time)
    {
    }

    /// <summary>The definitions as the last step (or <see cref="Current"/>) loaded them.</summary>
    public EngageDefinitions Definitions => source.Last;

    public EngageDefinitionsSource Source => source;

    /// <summary>The definitions in force now, as the store has them.</summary>
    public EngageDefinitions Current(IProfileStore store) => source.Current(store);

    /// <summary>The instant steps compute at, Unix ms.</summary>
    public long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    IProfileStepObserver? IProfileStepPart.Begin(IProfileGraphReader reader, bool recomputation) => recomputation ? BeginRecomputation(reader) : Begin(reader);

    /// <summary>A step's part of the computation, or null when no computed trait or audience is defined.</summary>
    public EngageStep? Begin(IProfileGraphReader reader)
    {
        var definitions = source.Current(reader);
        if (!definitions.Any)
        {
            return null;
        }

        var evaluator = _evaluator;
        if (!ReferenceEquals(evaluator.Definitions, definitions))
        {
            _evaluator = evaluator = new ProfileEvaluator(definitions);
        }

        // Registered aggregates stay registered: once every one in force is, a step asks the store no more.
        var missing = definitions.Aggregates.Where(a => !_registered.ContainsKey(a.Key)).ToList();
        if (missing.Count > 0)
        {
            foreach (var key in reader.EngageAggregates().Keys)
            {
                _registered.TryAdd(key, true);
            }

            missing = [.. missing.Where(a => !_registered.ContainsKey(a.Key))];
        }

        List<ProfileChange> registrations = [];
        if (missing.Count > 0)
        {
            var cursors = reader.CursorsOf(ProfilesConsumer.ConsumerName);
            var start = JsonSerializer.Serialize(cursors.ToDictionary(c => c.Key.ToString(CultureInfo.InvariantCulture), c => c.Value));
            // Nothing resolved yet: there is no past to compute.
            var done = cursors.Values.All(p => p == 0) ? Now : (long?)null;
            registrations = [.. missing.Select(a => new EngageAggregateRegistered(a.Key, start, Now, done))];
        }

        return new EngageStep(evaluator, reader, Now, registrations);
    }

    /// <summary>
    /// A recomputation's part (an unmerge, a change of identity settings): refused while a definition is
    /// computed over past events, which would take the recomputed events a second time.
    /// </summary>
    public EngageStep? BeginRecomputation(IProfileGraphReader reader)
    {
        if (Begin(reader) is not { } step)
        {
            return null;
        }

        var aggregates = reader.EngageAggregates();
        if (Definitions.Aggregates.Any(a => aggregates.GetValueOrDefault(a.Key)?.DoneAt is null))
        {
            throw new Profiles.Recompute.RecomputationRefusedException(
                "engage_backfilling",
                "computed traits or audiences are being computed over past events: recomputing profiles now would count those events twice; try again when they are done (GET /api/v1/engage shows their progress)");
        }

        return step;
    }

    /// <summary>
    /// The definitions not computed over the past yet: those with an aggregate whose backfill has not
    /// finished (or not begun), and those that refer to one of them.
    /// </summary>
    /// <param name="evaluated">Each definition's fingerprint once every profile was evaluated with it: a definition
    /// whose fingerprint is not there yet waits for the evaluation sweep too (null: ask about aggregates alone).</param>
    public IReadOnlySet<string> Backfilling(
        IReadOnlyDictionary<string, EngageAggregateRow> aggregates,
        EngageDefinitions? of = null,
        IReadOnlyDictionary<string, string>? evaluated = null)
    {
        var definitions = of ?? Definitions;
        bool Swept(string key) => evaluated is null || definitions.Evaluated(key, evaluated);
        var pending = new HashSet<string>(StringComparer.Ordinal);
        foreach (var trait in definitions.Traits)
        {
            if (aggregates.GetValueOrDefault(trait.Aggregate.Key)?.DoneAt is null || !Swept(trait.Key))
            {
                pending.Add(trait.Key);
            }
        }

        // Audiences come after those they refer to.
        foreach (var audience in definitions.Audiences)
        {
            if (EngageDefinitions.EventConditions(audience.Condition).Any(c => aggregates.GetValueOrDefault(c.Aggregate.Key)?.DoneAt is null)
                || EngageDefinitions.TraitConditions(audience.Condition).Any(t => pending.Contains(t.Key))
                || !Swept(audience.Key))
            {
                pending.Add(audience.Key);
            }
        }

        return pending;
    }
}
