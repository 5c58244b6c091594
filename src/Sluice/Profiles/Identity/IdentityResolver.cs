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
    IReadOnlyList<ProfileIdentity> Owners(IReadOnlyList<Identifier> identifiers);
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
        var kept = new List<Identifier>(identifiers);
        var dropped = new List<DroppedIdentifier>(0);
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
            for (var i = 0; i < profile.Identifiers.Count; i++)
            {
                if (profile.Identifiers[i].Identifier == identifier)
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

        var total = added.Count;
        var largest = 0;
        foreach (var owner in owners)
        {
            total += owner.Identifiers.Count;
            largest = Math.Max(largest, owner.Identifiers.Count);
        }

        if (total > settings.MaxIdentifiers && total > largest)
        {
            return DropReason.MappingLimitExceeded;
        }

        // Of several broken types, the reason names the highest in priority, whatever order the graph gives.
        foreach (var type in TypesByPriority(owners, added))
        {
            var rule = settings.RuleOf(type);
            var since = rule.Window is { } window ? at - (long)window.TotalMilliseconds : long.MinValue;
            // Counted without sets first: a count within the limit is within it once repeats are left out too.
            if (Mappings(owners, added, at, type, since) <= rule.Limit)
            {
                continue;
            }

            var result = owners.SelectMany(o => o.Identifiers).Concat(added.Select(i => new IdentifierMapping(i, at)));
            var count = Count(result, type, since);
            if (count > rule.Limit && count > owners.Max(o => Count(o.Identifiers, type, since)))
            {
                return rule.Window is null ? DropReason.ValueLimitExceeded : DropReason.ValueTimeLimitExceeded;
            }
        }

        return null;
    }

    /// <summary>The types of the owners' and the added identifiers, highest priority first (ties by name).</summary>
    private List<string> TypesByPriority(IReadOnlyList<ProfileIdentity> owners, IReadOnlyList<Identifier> added)
    {
        var types = new List<string>(4);
        foreach (var owner in owners)
        {
            foreach (var mapping in owner.Identifiers)
            {
                if (!types.Contains(mapping.Identifier.Type))
                {
                    types.Add(mapping.Identifier.Type);
                }
            }
        }

        foreach (var identifier in added)
        {
            if (!types.Contains(identifier.Type))
            {
                types.Add(identifier.Type);
            }
        }

        types.Sort((a, b) => settings.RuleOf(a).Priority != settings.RuleOf(b).Priority
            ? settings.RuleOf(a).Priority.CompareTo(settings.RuleOf(b).Priority)
            : string.CompareOrdinal(a, b));
        return types;
    }

    /// <summary>The owners' and the added identifiers of <paramref name="type"/> added since <paramref name="since"/>, repeats counted.</summary>
    private static int Mappings(IReadOnlyList<ProfileIdentity> owners, IReadOnlyList<Identifier> added, long at, string type, long since)
    {
        var count = 0;
        foreach (var owner in owners)
        {
            foreach (var mapping in owner.Identifiers)
            {
                if (mapping.Identifier.Type == type && mapping.AddedAt >= since)
                {
                    count++;
                }
            }
        }

        foreach (var identifier in added)
        {
            if (identifier.Type == type && at >= since)
            {
                count++;
            }
        }

        return count;
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
