using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles;

/// <summary>The identity graph as it is stored, read during one step of the profiles consumer.</summary>
internal interface IProfileGraphReader
{
    /// <summary>The graph's version when the step began: it moves with every step committed, on any node.</summary>
    long Version { get; }

    /// <summary>The profile that owns the identifier, or null.</summary>
    string? OwnerOf(Identifier identifier);

    /// <summary>A profile that has not been merged into another, with its identifiers.</summary>
    ProfileIdentity Read(string profileId);
}

/// <summary>Where profiles live: the identity graph, traits, the profiles' events (as log references) and the log of merges and drops.</summary>
internal interface IProfileStore
{
    /// <summary>
    /// One step of the profiles consumer: <paramref name="resolve"/> reads the graph and returns the changes
    /// its events make, which are applied in order, in one transaction with <paramref name="advances"/>
    /// (fenced by their leases) and a new graph version, returned. No other step changes the graph
    /// between the reads and the commit, on this node or another.
    /// </summary>
    long RunStep(Func<IProfileGraphReader, IReadOnlyList<ProfileChange>> resolve, IReadOnlyList<CursorAdvance> advances);

    /// <summary>The profile (not merged into another) that has the identifier, or null.</summary>
    string? ProfileOf(Identifier identifier);

    /// <summary>A profile's identifiers, in the order they were added.</summary>
    IReadOnlyList<Identifier> IdentifiersOf(string profileId);

    /// <summary>A profile's traits: each key's JSON text (removed traits are left out).</summary>
    IReadOnlyDictionary<string, string> TraitsOf(string profileId);
}
