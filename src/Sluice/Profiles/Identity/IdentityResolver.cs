using Sluice.Workspace;
namespace Sluice.Profiles.Identity;

/// <summary>A profile as identity resolution sees it: when it was made, the merges it took part in, its identifiers.</summary>
internal sealed record ProfileIdentity(string Id, long CreatedAt, int Merges, IReadOnlyList<IdentifierMapping> Identifiers);

/// <summary>An identifier on a profile and when it was added (Unix ms), which the types' windows count by.</summary>
internal sealed record IdentifierMapping(Identifier Identifier, long AddedAt);

/// <summary>The identity graph as resolution reads it; a store keeps it, and applies each <see cref="Resolution"/> with its event.</summary>
internal interface IIdentityGraph
{
    /// <summary>The profiles (merged ones by their surviving profile) that own any of <paramref name="identifiers"/>.</summary>
    IReadOnlyList<ProfileIdentity> Owners(IReadOnlyCollection<Identifier> identifiers);
}

/// <summary>
/// What one event does to the graph. <see cref="Root"/> null with identifiers kept: a new profile holding
/// them. Otherwise the event belongs to <see cref="Root"/>, <see cref="Merged"/> become part of it, and
/// <see cref="Added"/> are new on it. No identifier kept: the event belongs to no profile.
/// </summary>
internal sealed record Resolution(
    IReadOnlyList<Identifier> Kept,
    ProfileIdentity? Root,
    IReadOnlyList<ProfileIdentity> Merged,
    IReadOnlyList<Identifier> Added,
    IReadOnlyList<DroppedIdentifier> Dropped)
{
    public bool Unresolved => Kept.Count == 0;

    public bool CreatesProfile => Root is null && Kept.Count > 0;
}

/// <summary>
/// Segment's flat matching (design/profiles-engage.md §1.3): find every profile owning any of the event's
/// identifiers; none makes a new profile, one takes the new identifiers, several merge into the oldest.
/// A result that would break a rule (a type's limit or window, the merge cap, the identifier cap) drops
/// the event's lowest-priority identifier, even when another type broke the rule, and looks again.
/// A rule counts as broken only where the event makes a profile worse than the worst it merges: a
/// profile over a limit made stricter since still takes its own identifiers' events.
/// </summary>
internal sealed class IdentityResolver(IIdentityGraph graph, IdentitySettings settings)
{
    /// <param name="identifiers">The event's identifiers, as <see cref="IdentifierExtraction"/> lists them.</param>
    /// <param name="at">The event's time in the log (Unix ms): new identifiers are added at it, windows end at it.</param>
    public Resolution Resolve(IReadOnlyList<Identifier> identifiers, long at)
    {
        var kept = identifiers.ToList();
        var dropped = new List<DroppedIdentifier>();
        while (kept.Count > 0)
        {
            var owners = graph.Owners(kept);
            if (owners.Count == 0)
            {
                return new Resolution(kept, null, [], kept, dropped);
            }

            if (owners.Count == 1 && OwnsAll(owners[0], kept))
            {
                // Nothing merged or added: no rule can be broken (the commonest event, a known person's).
                return new Resolution(kept, owners[0], [], [], dropped);
            }

            var owned = owners.SelectMany(o => o.Identifiers).Select(m => m.Identifier).ToHashSet();
            var added = kept.Where(i => !owned.Contains(i)).ToList();
            if (Broken(owners, added, at) is { } reason)
            {
                var lowest = LowestPriority(kept);
                dropped.Add(new DroppedIdentifier(lowest, reason));
                kept.Remove(lowest);
                continue;
            }

            var root = owners.OrderBy(o => o.CreatedAt).ThenBy(o => o.Id, StringComparer.Ordinal).First();
            return new Resolution(kept, root, [.. owners.Where(o => o != root)], added, dropped);
        }

        return new Resolution([], null, [], [], dropped);
    }

    private static bool OwnsAll(ProfileIdentity profile, List<Identifier> identifiers)
    {
        foreach (var identifier in identifiers)
        {
            var owned = false;
            foreach (var mapping in profile.Identifiers)
            {
                if (mapping.Identifier == identifier)
                {
                    owned = true;
                    break;
                }
            }

            if (!owned)
            {
                return false;
            }
        }

        return true;
    }

    private DropReason? Broken(IReadOnlyList<ProfileIdentity> owners, IReadOnlyList<Identifier> added, long at)
    {
        if (owners.Count > 1 && owners.Sum(o => o.Merges) + owners.Count - 1 > settings.MaxMerges)
        {
            return DropReason.ProfileMergeLimitExceeded;
        }

        var result = owners.SelectMany(o => o.Identifiers).Concat(added.Select(i => new IdentifierMapping(i, at))).ToList();
        if (result.Count > settings.MaxIdentifiers && result.Count > owners.Max(o => o.Identifiers.Count))
        {
            return DropReason.MappingLimitExceeded;
        }

        // Of several broken types, the reason names the highest in priority, whatever order the graph gives.
        foreach (var type in result.Select(m => m.Identifier.Type).Distinct().OrderBy(t => settings.RuleOf(t).Priority).ThenBy(t => t, StringComparer.Ordinal))
        {
            var rule = settings.RuleOf(type);
            var since = rule.Window is { } window ? at - (long)window.TotalMilliseconds : long.MinValue;
            var count = Count(result, type, since);
            if (count > rule.Limit && count > owners.Max(o => Count(o.Identifiers, type, since)))
            {
                return rule.Window is null ? DropReason.ValueLimitExceeded : DropReason.ValueTimeLimitExceeded;
            }
        }

        return null;
    }

    private static int Count(IEnumerable<IdentifierMapping> mappings, string type, long since) =>
        mappings.Where(m => m.Identifier.Type == type && m.AddedAt >= since).Select(m => m.Identifier.Value).Distinct(StringComparer.Ordinal).Count();

    /// <summary>The identifier whose type ranks last; of several, the one listed last.</summary>
    private Identifier LowestPriority(List<Identifier> kept)
    {
        var lowest = kept[0];
        foreach (var identifier in kept)
        {
            if (settings.RuleOf(identifier.Type).Priority >= settings.RuleOf(lowest.Type).Priority)
            {
                lowest = identifier;
            }
        }

        return lowest;
    }
}
