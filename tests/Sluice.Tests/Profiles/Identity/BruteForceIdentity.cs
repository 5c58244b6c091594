using Sluice.Workspace;
namespace Sluice.Profiles.Identity;

/// <summary>
/// The reference for the resolver: every profile recomputed from all events, in order, by the rules of
/// design/profiles-engage.md §1.3 read literally, scanning every profile for every event; no index, no
/// shared code with the engine but the settings and the identifier type.
/// </summary>
internal static class BruteForceIdentity
{
    private sealed class Profile(int order, long createdAt)
    {
        public int Order { get; } = order;

        public long CreatedAt { get; } = createdAt;

        public int Merges { get; set; }

        public List<(Identifier Id, long At)> Ids { get; } = [];
    }

    /// <summary>The profiles, each as its identifiers; and how many identifiers each rule dropped.</summary>
    public static (List<HashSet<Identifier>> Profiles, Dictionary<DropReason, int> Dropped) Compute(IEnumerable<(long At, IReadOnlyList<Identifier> Ids)> events, IdentitySettings settings)
    {
        var profiles = new List<Profile>();
        var dropped = new Dictionary<DropReason, int>();
        foreach (var (at, ids) in events)
        {
            var kept = ids.ToList();
            while (kept.Count > 0)
            {
                var matched = profiles.Where(p => p.Ids.Any(m => kept.Contains(m.Id))).ToList();
                if (matched.Count == 0)
                {
                    var created = new Profile(profiles.Count, at);
                    created.Ids.AddRange(kept.Select(i => (i, at)));
                    profiles.Add(created);
                    break;
                }

                var before = matched.SelectMany(p => p.Ids).ToList();
                var after = before.Concat(kept.Where(i => before.All(m => m.Id != i)).Select(i => (i, at))).ToList();
                var reason = Violation(matched, after, at, settings);
                if (reason is not null)
                {
                    var worst = kept.Max(i => settings.RuleOf(i.Type).Priority);
                    var drop = kept.Last(i => settings.RuleOf(i.Type).Priority == worst);
                    kept.Remove(drop);
                    dropped[reason.Value] = dropped.GetValueOrDefault(reason.Value) + 1;
                    continue;
                }

                var parent = matched.OrderBy(p => p.CreatedAt).ThenBy(p => p.Order).First();
                foreach (var child in matched.Where(p => p != parent))
                {
                    parent.Ids.AddRange(child.Ids);
                    parent.Merges += child.Merges + 1;
                    profiles.Remove(child);
                }

                parent.Ids.AddRange(kept.Where(i => parent.Ids.All(m => m.Id != i)).Select(i => (i, at)));
                break;
            }
        }

        return ([.. profiles.Select(p => p.Ids.Select(m => m.Id).ToHashSet())], dropped);
    }

    private static DropReason? Violation(List<Profile> matched, List<(Identifier Id, long At)> after, long at, IdentitySettings settings)
    {
        if (matched.Count > 1 && matched.Sum(p => p.Merges) + matched.Count - 1 > settings.MaxMerges)
        {
            return DropReason.ProfileMergeLimitExceeded;
        }

        if (after.Count > settings.MaxIdentifiers && matched.All(p => p.Ids.Count < after.Count))
        {
            return DropReason.MappingLimitExceeded;
        }

        foreach (var type in after.Select(m => m.Id.Type).Distinct().OrderBy(t => settings.RuleOf(t).Priority).ThenBy(t => t, StringComparer.Ordinal))
        {
            var rule = settings.RuleOf(type);
            int CountIn(IEnumerable<(Identifier Id, long At)> ids) =>
                ids.Where(m => m.Id.Type == type && (rule.Window is null || m.At >= at - (long)rule.Window.Value.TotalMilliseconds)).Select(m => m.Id.Value).Distinct().Count();
            var count = CountIn(after);
            if (count > rule.Limit && matched.All(p => CountIn(p.Ids) < count))
            {
                return rule.Window is null ? DropReason.ValueLimitExceeded : DropReason.ValueTimeLimitExceeded;
            }
        }

        return null;
    }
}
