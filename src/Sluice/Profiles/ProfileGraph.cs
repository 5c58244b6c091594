using Sluice.Profiles.Identity;

namespace Sluice.Profiles;

/// <summary>
/// The identity graph as the profiles consumer reads it: the store through <see cref="IProfileGraphReader"/>,
/// with what earlier reads and this node's own steps learned kept in memory. That memory is good only
/// while the store's graph version is the one this node committed last: a step that finds another
/// version (another node changed the graph) starts from the store again. A failed step forgets it all.
/// </summary>
internal sealed class ProfileGraph : IIdentityGraph
{
    /// <summary>Identifiers known (with or without a profile) beyond which the memory is dropped after a step.</summary>
    private const int MaxRemembered = 500_000;

    private readonly Dictionary<Identifier, string?> _owners = [];
    private readonly Dictionary<string, ProfileIdentity> _profiles = new(StringComparer.Ordinal);
    private IProfileGraphReader? _reader;
    private long _version = -1;
    private IReadOnlySet<Identifier> _blocked = new HashSet<Identifier>();
    private StoredIdentitySettings? _settings;

    /// <summary>Starts a step on the store's graph as <paramref name="reader"/> sees it.</summary>
    public void Begin(IProfileGraphReader reader)
    {
        if (reader.Version != _version)
        {
            Forget();
            _blocked = reader.Blocked();
            _settings = reader.StoredSettings();
        }

        _reader = reader;
    }

    /// <summary>The identity settings saved through the Admin API, as of the step's graph version.</summary>
    public StoredIdentitySettings? StoredSettings => _settings;

    /// <summary>Identifiers unmerges blocked, as of the step's graph version.</summary>
    public IReadOnlySet<Identifier> Blocked => _blocked;

    /// <summary>The step committed as <paramref name="version"/>: what it learned holds for that version.</summary>
    public void Committed(long version)
    {
        _reader = null;
        _version = version;
        if (_owners.Count > MaxRemembered)
        {
            Forget();
        }
    }

    /// <summary>The step did not commit: nothing learned during it can be trusted.</summary>
    public void Forget()
    {
        _owners.Clear();
        _profiles.Clear();
        _version = -1;
        _reader = null;
    }

    public IReadOnlyList<ProfileIdentity> Owners(IReadOnlyList<Identifier> identifiers)
    {
        var reader = _reader ?? throw new InvalidOperationException("the graph is read only during a step");
        var owners = new List<ProfileIdentity>(identifiers.Count);
        // Loops by index, not LINQ: asked for every event, where an enumerator or a closure each is garbage.
        for (var i = 0; i < identifiers.Count; i++)
        {
            var identifier = identifiers[i];
            if (!_owners.TryGetValue(identifier, out var owner))
            {
                _owners[identifier] = owner = reader.OwnerOf(identifier);
            }

            if (owner is null || Listed(owners, owner))
            {
                continue;
            }

            if (!_profiles.TryGetValue(owner, out var profile))
            {
                _profiles[owner] = profile = reader.Read(owner);
            }

            owners.Add(profile);
        }

        return owners;
    }

    private static bool Listed(List<ProfileIdentity> owners, string id)
    {
        foreach (var owner in owners)
        {
            if (owner.Id == id)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Reads, in a few statements, the owners of <paramref name="identifiers"/> and their profiles that this
    /// graph does not know yet: a step's events then resolve without a read each.
    /// </summary>
    public void Prefetch(IEnumerable<Identifier> identifiers)
    {
        var reader = _reader ?? throw new InvalidOperationException("the graph is read only during a step");
        var unknown = identifiers.Where(i => !_owners.ContainsKey(i)).Distinct().ToList();
        if (unknown.Count == 0)
        {
            return;
        }

        var owners = reader.OwnersOf(unknown);
        foreach (var identifier in unknown)
        {
            _owners[identifier] = owners.GetValueOrDefault(identifier);
        }

        foreach (var profile in reader.Read([.. owners.Values.Distinct(StringComparer.Ordinal).Where(p => !_profiles.ContainsKey(p))]))
        {
            _profiles[profile.Id] = profile;
        }
    }

    /// <summary>The profiles this graph has read or made: over <see cref="NoStoredGraph"/>, every profile of the graph.</summary>
    public IEnumerable<ProfileIdentity> Profiles => _profiles.Values;

    /// <summary>The owner this graph knows of an identifier (null: none, or not read).</summary>
    public string? KnownOwner(Identifier identifier) => _owners.GetValueOrDefault(identifier);

    /// <summary>The types of a profile's identifiers as this graph knows it (null: not read this step, or merged away).</summary>
    public IReadOnlySet<string>? IdentifierTypesOf(string profileId) =>
        Known(profileId) is { } profile ? profile.Identifiers.Select(i => i.Identifier.Type).ToHashSet(StringComparer.Ordinal) : null;

    /// <summary>A profile as this graph last read or made it (null: not read this step, or merged away).</summary>
    public ProfileIdentity? Known(string profileId) => _profiles.GetValueOrDefault(profileId);

    /// <summary>
    /// What <paramref name="resolution"/> does, as the store will have it once the step commits. Only the
    /// identifiers that change owner are written again: the root's own already name it (each identifier of a
    /// profile in memory came from the store, or was set here when it joined the profile).
    /// </summary>
    public void Apply(Resolution resolution, string rootId, long at)
    {
        if (resolution.Root is not null && resolution.Merged.Count == 0 && resolution.Added.Count == 0)
        {
            return;
        }

        var root = resolution.Root ?? new ProfileIdentity(rootId, at, 0, []);
        var mappings = new List<IdentifierMapping>(root.Identifiers.Count + resolution.Added.Count);
        mappings.AddRange(root.Identifiers);
        var merges = root.Merges;
        foreach (var merged in resolution.Merged)
        {
            _profiles.Remove(merged.Id);
            merges += merged.Merges + 1;
            foreach (var mapping in merged.Identifiers)
            {
                mappings.Add(mapping);
                _owners[mapping.Identifier] = rootId;
            }
        }

        foreach (var identifier in resolution.Added)
        {
            mappings.Add(new IdentifierMapping(identifier, at));
            _owners[identifier] = rootId;
        }

        _profiles[rootId] = root with { Merges = merges, Identifiers = mappings };
    }
}

/// <summary>An empty stored graph, for a <see cref="ProfileGraph"/> that lives in memory alone (a preview), with identifiers blocked.</summary>
internal sealed class NoStoredGraph(IReadOnlySet<Identifier> blocked) : IProfileGraphReader
{
    public long Version => 0;

    public string? OwnerOf(Identifier identifier) => null;

    public ProfileIdentity Read(string profileId) => throw new InvalidOperationException($"{profileId} is not in an empty graph");

    public IReadOnlyDictionary<Identifier, string> OwnersOf(IReadOnlyList<Identifier> identifiers) => new Dictionary<Identifier, string>();

    public IReadOnlyList<ProfileIdentity> Read(IReadOnlyList<string> profileIds) => [];

    public IReadOnlySet<Identifier> Blocked() => blocked;

    public StoredIdentitySettings? StoredSettings() => null;

    public IReadOnlyList<IdentifierOwner> AllOwners() => [];

    public IReadOnlyList<EventLog.EventPosition> EventsOf(string profileId) => [];

    public IReadOnlyList<string> MembersOf(string profileId) => [];

    public IReadOnlyList<EventLog.EventPosition> DropsOf(Identifier identifier) => [];

    public T Query<T>(string sql, Func<System.Data.Common.DbDataReader, T> read, params object[] values) =>
        throw new InvalidOperationException("an empty graph has no store to query");
}
