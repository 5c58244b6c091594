using System.Text.Json;
using Sluice.EventLog;
using Sluice.Profiles.Identity;
using Sluice.Workspace;

namespace Sluice.Profiles.Recompute;

/// <summary>
/// What identity settings would make of the events the profiles consumer has taken: the whole graph
/// computed again in memory from the log, in log order, with the settings and the blocked identifiers,
/// then compared with the stored graph: which stored profiles would merge, which would split, which
/// would change otherwise. The dry run of a settings change, and what a saved change recomputes.
/// </summary>
internal sealed class IdentityPreview(IEventLog log, IConsumerCursors cursors)
{
    /// <summary>Events a preview takes at most: it holds the whole graph in memory.</summary>
    public const int MaxEvents = 1_000_000;

    /// <summary>Examples of merges and splits a preview lists (it counts them all).</summary>
    public const int MaxExamples = 20;

    public PreviewResult Run(IdentitySettings settings, IReadOnlySet<Identifier> blocked, IReadOnlyList<IdentifierOwner> stored)
    {
        var consumed = cursors.Read(ProfilesConsumer.ConsumerName);
        var graph = new ProfileGraph();
        graph.Begin(new NoStoredGraph(blocked));
        var resolution = new EventResolution(graph, settings);
        var eventsOf = new Dictionary<string, List<EventPosition>>(StringComparer.Ordinal);
        var changes = new List<ProfileChange>();
        var count = 0;
        for (var rows = log.ReadFrom(0, 500, null); rows.Count > 0; rows = log.ReadFrom(rows[^1].Position, 500, null))
        {
            foreach (var row in rows.Where(r => r.Position <= consumed.GetValueOrDefault(r.Partition)))
            {
                var index = 0;
                foreach (var message in LogMessages.Split(row.Messages))
                {
                    if (LogMessages.IsErased(message))
                    {
                        index++;
                        continue;
                    }

                    if (++count > MaxEvents)
                    {
                        throw new RecomputationRefusedException("too_many_events", $"a preview takes at most {MaxEvents:N0} events, and the log holds more");
                    }

                    using var document = JsonDocument.Parse(message);
                    var e = new EventReference(row.SourceId, EventResolution.MessageIdOf(document.RootElement), row.Position, index++, row.ReceivedAt);
                    resolution.Resolve(document.RootElement, e, changes);
                    Follow(changes, eventsOf);
                    changes.Clear();
                }
            }
        }

        return Compare([.. graph.Profiles], eventsOf, stored, count);
    }

    /// <summary>Keeps, for each profile the preview makes, the events that belong to it.</summary>
    private static void Follow(List<ProfileChange> changes, Dictionary<string, List<EventPosition>> eventsOf)
    {
        foreach (var change in changes)
        {
            switch (change)
            {
                case ProfilesMerged merged when eventsOf.Remove(merged.Merged, out var moved):
                    Of(eventsOf, merged.Into).AddRange(moved);
                    break;
                case EventAttached attached:
                    Of(eventsOf, attached.ProfileId).Add(new EventPosition(attached.Event.Position, attached.Event.Index));
                    break;
            }
        }
    }

    private static List<EventPosition> Of(Dictionary<string, List<EventPosition>> eventsOf, string profile) =>
        eventsOf.TryGetValue(profile, out var events) ? events : eventsOf[profile] = [];

    private static PreviewResult Compare(IReadOnlyList<ProfileIdentity> made, Dictionary<string, List<EventPosition>> eventsOf, IReadOnlyList<IdentifierOwner> stored, int events)
    {
        var storedOwner = stored.ToDictionary(o => o.Identifier, o => o.ProfileId);
        var storedSize = stored.GroupBy(o => o.ProfileId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var madeOwner = new Dictionary<Identifier, string>();
        var affected = new HashSet<string>(StringComparer.Ordinal);
        var recompute = new List<EventPosition>();
        var merges = new List<PreviewMerge>();
        var mergeCount = 0;
        foreach (var profile in made)
        {
            var identifiers = profile.Identifiers.Select(m => m.Identifier).ToList();
            identifiers.ForEach(i => madeOwner[i] = profile.Id);
            var owners = identifiers.Select(i => storedOwner.GetValueOrDefault(i)).ToList();
            var distinct = owners.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            var same = distinct.Count == 1 && owners.All(o => o is not null) && storedSize[distinct[0]] == identifiers.Count;
            if (same)
            {
                continue;
            }

            affected.UnionWith(distinct);
            recompute.AddRange(eventsOf.GetValueOrDefault(profile.Id) ?? []);
            if (distinct.Count > 1 && mergeCount++ < MaxExamples)
            {
                merges.Add(new PreviewMerge(distinct, identifiers));
            }
        }

        var splits = new List<PreviewSplit>();
        var splitCount = 0;
        var lost = 0;
        foreach (var group in stored.GroupBy(o => o.ProfileId, StringComparer.Ordinal))
        {
            var parts = group.GroupBy(o => madeOwner.GetValueOrDefault(o.Identifier)).ToList();
            lost += parts.Where(p => p.Key is null).Sum(p => p.Count());
            if (parts.Any(p => p.Key is null))
            {
                affected.Add(group.Key);
            }

            if (parts.Count(p => p.Key is not null) > 1 && splitCount++ < MaxExamples)
            {
                splits.Add(new PreviewSplit(group.Key, [.. parts.Where(p => p.Key is not null).Select(p => (IReadOnlyList<Identifier>)[.. p.Select(o => o.Identifier)])]));
            }
        }

        return new PreviewResult(
            events, storedSize.Count, made.Count, mergeCount, merges, splitCount, splits, affected.Count,
            lost, madeOwner.Keys.Count(i => !storedOwner.ContainsKey(i)), affected, recompute);
    }
}

/// <summary>
/// A preview: the events it took; profiles stored and made; how many made profiles join several stored
/// ones (with examples), how many stored ones fall apart (with examples), how many stored profiles change
/// at all; identifiers stored that no profile would have, and identifiers no stored profile has. With what
/// a saved change recomputes: the stored profiles that change, and the events of the profiles that differ.
/// </summary>
internal sealed record PreviewResult(
    int Events,
    int ProfilesStored,
    int ProfilesMade,
    int MergeCount,
    IReadOnlyList<PreviewMerge> Merges,
    int SplitCount,
    IReadOnlyList<PreviewSplit> Splits,
    int Changed,
    int IdentifiersLost,
    int IdentifiersGained,
    IReadOnlyCollection<string> ChangedProfiles,
    IReadOnlyList<EventPosition> EventsToRecompute);

/// <summary>Stored profiles that would be one, and the identifiers it would have.</summary>
internal sealed record PreviewMerge(IReadOnlyList<string> Profiles, IReadOnlyList<Identifier> Identifiers);

/// <summary>A stored profile whose identifiers would fall into several profiles, as those parts.</summary>
internal sealed record PreviewSplit(string Profile, IReadOnlyList<IReadOnlyList<Identifier>> Parts);
