using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Sluice.Actions.Fql;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;
using Sluice.Destinations;
using Sluice.Workspace;

namespace Sluice.Routing;

/// <summary>A mapping ready to run: its action, compiled trigger and compiled mapping.</summary>
internal sealed record RoutedMapping(string Name, ActionDefinition Action, FqlExpression Trigger, CompiledMapping Mapping);

/// <summary>What a destination filter does to the events its condition selects.</summary>
internal enum FilterEffect
{
    Drop,
    Sample,
    Block,
    Allow,
}

internal sealed record RoutedFilter(string Name, FqlExpression? Condition, FilterEffect Effect, double SamplePercent, IReadOnlyList<string> Fields);

/// <summary>A destination instance as the router and dispatcher use it: compiled once per change of the destinations in force.</summary>
internal sealed record RoutedDestination
{
    public required string Id { get; init; }

    public required DestinationDefinition Definition { get; init; }

    public required bool Enabled { get; init; }

    public required JsonObject Settings { get; init; }

    public required IReadOnlyList<RoutedMapping> Mappings { get; init; }

    public required IReadOnlyList<RoutedFilter> Filters { get; init; }

    /// <summary>The keys that may name this destination in an event's Integrations object, most specific first.</summary>
    public required IReadOnlyList<string> IntegrationKeys { get; init; }

    public required TimeSpan RetryWindow { get; init; }

    /// <summary>Most requests per second; null or 0 is no limit.</summary>
    public double? RateLimit { get; init; }

    /// <summary>A user's deliveries go one at a time, in log order (<see cref="DestinationInstance.Ordered"/>).</summary>
    public bool Ordered { get; init; }

    /// <summary>Hides this destination's secret settings in what its service answers, before the answer is kept.</summary>
    internal SecretMask Secrets => field ??= new SecretMask(Settings, Definition);
}

/// <summary>
/// The destinations in force compiled for delivery, recompiled when they change: which destinations each
/// source feeds, with triggers, mappings and filters compiled (the workspace file was already
/// checked, so compiling cannot fail here).
/// </summary>
internal sealed class RoutingTable
{
    private readonly DestinationCatalog _catalog;
    private readonly DestinationsInForce _inForce;
    private readonly Lock _lock = new();
    private volatile Snapshot _snapshot;

    /// <summary>A table of the workspace file's destinations alone (the routing benchmark, tools).</summary>
    public RoutingTable(WorkspaceDefinition? workspace, DestinationCatalog? catalog = null)
        : this(new DestinationsInForce(workspace?.Destinations ?? []), workspace, catalog)
    {
    }

    /// <summary>A table that follows <paramref name="inForce"/>: recompiled the first time it is read after a change.</summary>
    public RoutingTable(DestinationsInForce inForce, WorkspaceDefinition? workspace, DestinationCatalog? catalog = null)
    {
        _catalog = catalog ?? DestinationCatalog.Builtin;
        _inForce = inForce;
        Warnings = workspace?.Warnings ?? [];
        _snapshot = Build(inForce.Current);
    }

    /// <summary>
    /// The prefix of a destination's own system source: events of <c>engage:&lt;destination id&gt;</c> go to
    /// that destination alone (Engage's messages come from one, as Segment makes one source per
    /// destination an audience is connected to). No source of the workspace can have the name: ids have
    /// no colon.
    /// </summary>
    public const string DestinationSourcePrefix = "engage:";

    /// <summary>The destinations a source's events go to.</summary>
    public IReadOnlyList<RoutedDestination> ForSource(string sourceId) =>
        sourceId.StartsWith(DestinationSourcePrefix, StringComparison.Ordinal)
            ? Find(sourceId[DestinationSourcePrefix.Length..]) is { } connected ? [connected] : []
            : Current().BySource.GetValueOrDefault(sourceId) ?? [];

    public RoutedDestination? Find(string destinationId) => Current().ById.GetValueOrDefault(destinationId);

    /// <summary>The destinations this table can route to.</summary>
    public DestinationCatalog Catalog => _catalog;

    public IEnumerable<RoutedDestination> All => Current().ById.Values;

    /// <summary>The workspace file's warnings, logged at start-up.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// The compiled table of the destinations in force. A change swaps the whole table: a message is
    /// routed either with the old table or the new one, never a mix.
    /// </summary>
    private Snapshot Current()
    {
        var snapshot = _snapshot;
        if (snapshot.Version == _inForce.Current.Version)
        {
            return snapshot;
        }

        lock (_lock)
        {
            if (_snapshot.Version != _inForce.Current.Version)
            {
                _snapshot = Build(_inForce.Current);
            }

            return _snapshot;
        }
    }

    private Snapshot Build(DestinationsInForce.Snapshot inForce)
    {
        var declaredDestinations = inForce.Destinations;
        var destinations = new List<(RoutedDestination Destination, IReadOnlyList<string> Sources)>();
        foreach (var declared in declaredDestinations)
        {
            // Every type was checked against this catalog when the file or the API accepted it; a stored API
            // destination whose type a later version dropped is passed over rather than stopping the server.
            if (_catalog.Find(declared.Type) is not { } definition)
            {
                continue;
            }

            var mappings = new List<RoutedMapping>();
            if (declared.Presets)
            {
                mappings.AddRange(definition.Presets.Select(p => new RoutedMapping(
                    p.Name, definition.Actions[p.ActionSlug], FqlExpression.Compile(p.Subscribe), CompiledMapping.Compile(p.Mapping))));
            }

            mappings.AddRange(declared.Mappings.Where(m => m.Enabled).Select(m => new RoutedMapping(
                m.Name, definition.Actions[m.Action], FqlExpression.Compile(m.Trigger), CompiledMapping.Compile(m.Mapping))));
            var filters = declared.Filters.Select(f => new RoutedFilter(
                f.Name,
                f.If is null ? null : FqlExpression.Compile(f.If),
                f.Drop ? FilterEffect.Drop : f.Sample is not null ? FilterEffect.Sample : f.Block is not null ? FilterEffect.Block : FilterEffect.Allow,
                f.Sample ?? 100,
                f.Block ?? f.Allow ?? [])).ToList();
            IReadOnlyList<string> keys = [declared.Id, .. declared.Name is { } name ? [name] : Array.Empty<string>(), definition.Name, .. definition.Aliases, definition.Slug];
            destinations.Add((new RoutedDestination
            {
                Id = declared.Id,
                Definition = definition,
                Enabled = declared.Enabled,
                Settings = declared.Settings,
                Mappings = mappings,
                Filters = filters,
                IntegrationKeys = keys,
                RetryWindow = declared.RetryWindow,
                RateLimit = declared.RateLimit ?? definition.DefaultRateLimit,
                Ordered = declared.Ordered,
            }, declared.Sources));
        }

        return new Snapshot(
            destinations.ToFrozenDictionary(d => d.Destination.Id, d => d.Destination, StringComparer.Ordinal),
            destinations
                .SelectMany(d => d.Sources.Select(s => (Source: s, d.Destination)))
                .GroupBy(x => x.Source, StringComparer.Ordinal)
                .ToFrozenDictionary(g => g.Key, g => g.Select(x => x.Destination).ToArray(), StringComparer.Ordinal),
            inForce.Version);
    }

    private sealed record Snapshot(FrozenDictionary<string, RoutedDestination> ById, FrozenDictionary<string, RoutedDestination[]> BySource, long Version);
}
