namespace Sluice.Profiles.Identity;

/// <summary>The identity graph in a dictionary, applying each resolution as a store would: for the resolver's tests.</summary>
internal sealed class InMemoryIdentityGraph : IIdentityGraph
{
    private readonly Dictionary<string, ProfileIdentity> _profiles = new(StringComparer.Ordinal);
    private readonly Dictionary<Identifier, string> _owners = [];
    private int _made;

    public IReadOnlyList<ProfileIdentity> Owners(IReadOnlyCollection<Identifier> identifiers) =>
        [.. identifiers.Where(_owners.ContainsKey).Select(i => _owners[i]).Distinct(StringComparer.Ordinal).Select(id => _profiles[id])];

    /// <summary>Applies a resolution; returns the profile the event belongs to (null: none).</summary>
    public string? Apply(Resolution resolution, long at)
    {
        if (resolution.Unresolved)
        {
            return null;
        }

        var root = resolution.Root ?? new ProfileIdentity($"profile-{++_made}", at, 0, []);
        var mappings = root.Identifiers
            .Concat(resolution.Merged.SelectMany(m => m.Identifiers))
            .Concat(resolution.Added.Select(i => new IdentifierMapping(i, at)))
            .ToList();
        foreach (var merged in resolution.Merged)
        {
            _profiles.Remove(merged.Id);
        }

        _profiles[root.Id] = root with { Merges = root.Merges + resolution.Merged.Sum(m => m.Merges + 1), Identifiers = mappings };
        foreach (var mapping in mappings)
        {
            _owners[mapping.Identifier] = root.Id;
        }

        return root.Id;
    }

    public ProfileIdentity? ProfileOf(Identifier identifier) => _owners.TryGetValue(identifier, out var id) ? _profiles[id] : null;

    public int ProfileCount => _profiles.Count;

    public IEnumerable<ProfileIdentity> Profiles => _profiles.Values;
}
