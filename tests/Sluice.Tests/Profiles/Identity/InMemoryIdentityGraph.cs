namespace Sluice.Profiles.Identity;

/// <summary>
/// The consumer's <see cref="ProfileGraph"/> over an empty store, never committed, with profile ids of its
/// own: the whole graph lives in the graph's memory. For the resolver's tests.
/// </summary>
internal sealed class InMemoryIdentityGraph : IIdentityGraph
{
    private readonly ProfileGraph _graph = new();
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private int _made;

    public InMemoryIdentityGraph() => _graph.Begin(new NoStoredGraph(new HashSet<Identifier>()));

    public IReadOnlyList<ProfileIdentity> Owners(IReadOnlyList<Identifier> identifiers) => _graph.Owners(identifiers);

    /// <summary>Applies a resolution; returns the profile the event belongs to (null: none).</summary>
    public string? Apply(Resolution resolution, long at)
    {
        if (resolution.Unresolved)
        {
            return null;
        }

        var rootId = resolution.Root?.Id ?? $"profile-{++_made}";
        _graph.Apply(resolution, rootId, at);
        _ids.ExceptWith(resolution.Merged.Select(m => m.Id));
        _ids.Add(rootId);
        return rootId;
    }

    public ProfileIdentity? ProfileOf(Identifier identifier) => _graph.Owners([identifier]).SingleOrDefault();

    public int ProfileCount => _ids.Count;

    public IEnumerable<ProfileIdentity> Profiles => _ids.Select(id => _graph.Known(id)!);
}
