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
/// the clock's instant, unless nothing is defined. An aggregate of events the definitions use that is not
/// registered is registered by the step that first sees it, with the profiles consumer's cursors then: the
/// events up to them are the backfill's to compute (<see cref="EngageBackfill"/>), the later ones the
/// consumer's. One no definition uses any more is retired by the first step without it.
/// </summary>
internal sealed class Engagement(EngageDefinitionsSource source, TimeProvider time) : IProfileStepPart
{
    public static readonly Engagement Off = new(EngageDefinitions.None, TimeProvider.System);

    /// <summary>The evaluator of the last step's layout (null: none begun yet).</summary>
    private volatile ProfileEvaluator? _evaluator;

    /// <summary>Definitions that define nothing, under which the store was found to keep no aggregate or value of an earlier definition.</summary>
    private volatile EngageDefinitions? _nothingLeftUnder;

    /// <summary>Definitions under which the store was found to keep no value or evaluation of a definition not in force.</summary>
    private volatile EngageDefinitions? _nothingLeftOutUnder;

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

    IProfileStepObserver? IProfileStepPart.Begin(IProfileGraphReader reader, bool recomputation) =>
        (recomputation ? BeginRecomputation(reader) : Begin(reader, deferring: true)) ?? (IProfileStepObserver?)WithNothingDefined(reader);

    /// <summary>
    /// A step's part of the computation, or null when no computed trait or audience is defined. The step
    /// registers the aggregates the definitions use that are not registered (with a new name, under which
    /// the states keep them), and retires those no definition uses any more: a step that leaves an aggregate
    /// out takes none of its events into it, so its registration ends there, and a definition that uses it
    /// again later has it computed anew over every event.
    /// </summary>
    /// <param name="deferring">Whether the step notes the changes it observes and takes them at its end (<see cref="EngageStep"/>): the profiles consumer's.</param>
    public EngageStep? Begin(IProfileGraphReader reader, bool deferring = false)
    {
        var definitions = source.Current(reader);
        if (!definitions.Any)
        {
            return null;
        }

        // Read at each step (a few dozen rows): another node's step may have retired or registered one.
        var registry = reader.EngageAggregates();
        List<ProfileChange> ofTheDefinitions = [
            .. registry.Keys.Where(key => !definitions.Aggregates.Any(a => a.Key == key)).Select(key => new EngageAggregateRetired(key)),
            .. LeftOut(reader, definitions)];
        var missing = definitions.Aggregates.Where(a => !registry.ContainsKey(a.Key)).ToList();
        if (missing.Count > 0)
        {
            var cursors = reader.CursorsOf(ProfilesConsumer.ConsumerName);
            var start = JsonSerializer.Serialize(cursors.ToDictionary(c => c.Key.ToString(CultureInfo.InvariantCulture), c => c.Value));
            // Nothing resolved yet: there is no past to compute.
            var done = cursors.Values.All(p => p == 0) ? Now : (long?)null;
            var withThem = new Dictionary<string, EngageAggregateRow>(registry, StringComparer.Ordinal);
            foreach (var aggregate in missing)
            {
                var registered = new EngageAggregateRegistered(aggregate.Key, StateLayout.NewName(), start, Now, done);
                ofTheDefinitions.Add(registered);
                withThem[aggregate.Key] = new EngageAggregateRow(aggregate.Key, start, 0, registered.RegisteredAt, done, registered.Name);
            }

            registry = withThem;
        }

        var layout = StateLayout.For(definitions, registry);
        var evaluator = _evaluator;
        if (evaluator is null || !ReferenceEquals(evaluator.Layout, layout))
        {
            _evaluator = evaluator = new ProfileEvaluator(layout);
        }

        return new EngageStep(evaluator, reader, Now, ofTheDefinitions, deferring);
    }

    /// <summary>
    /// With nothing defined, a step's part that retires the aggregates still registered and lets go of what
    /// definitions no longer in force left (every definition deleted or taken out of the file), so that one
    /// made later is computed anew; asked of the store once per set of definitions.
    /// </summary>
    private ChangesAlone? WithNothingDefined(IProfileGraphReader reader)
    {
        var definitions = source.Last;
        if (ReferenceEquals(_nothingLeftUnder, definitions))
        {
            return null;
        }

        List<ProfileChange> changes = [.. reader.EngageAggregates().Keys.Select(key => new EngageAggregateRetired(key)), .. LeftOut(reader, definitions)];
        if (changes.Count == 0)
        {
            _nothingLeftUnder = definitions;
            return null;
        }

        return new ChangesAlone(changes);
    }

    /// <summary>
    /// The values and evaluations of definitions no longer in force that were not deleted (taken out of the
    /// workspace file): let go (<see cref="EngageDefinitionLeftOut"/>), so that one put back is evaluated on
    /// every profile again rather than taken as evaluated with values from before; asked once per set of definitions.
    /// </summary>
    private List<ProfileChange> LeftOut(IProfileGraphReader reader, EngageDefinitions definitions)
    {
        if (ReferenceEquals(_nothingLeftOutUnder, definitions))
        {
            return [];
        }

        List<ProfileChange> leftOut = [.. reader.EngageKeysStored().Where(key => !definitions.Defines(key)).Select(key => new EngageDefinitionLeftOut(key))];
        if (leftOut.Count == 0)
        {
            _nothingLeftOutUnder = definitions;
        }

        return leftOut;
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

    /// <summary>A step's part that observes nothing and makes changes of its own (with nothing defined).</summary>
    private sealed class ChangesAlone(IReadOnlyList<ProfileChange> changes) : IProfileStepObserver
    {
        public void Observe(IReadOnlyList<ProfileChange> changes, int from, JsonElement message, ReadOnlyMemory<byte> stored)
        {
        }

        public IEnumerable<ProfileChange> Finish(Func<string, IReadOnlySet<string>?> identifierTypesOf) => changes;
    }
}
