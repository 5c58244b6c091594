using System.Text.Json;
using Sluice.Engage.Store;
using Sluice.EventLog;
using Sluice.Profiles;
using Sluice.Profiles.Identity;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>
/// Computes a new aggregate over the events stored before it was first used: the log is read in order up
/// to the profiles consumer's cursors of that moment (<see cref="EngageAggregateRegistered.Start"/>), each
/// event goes to the profile that has it now (the owner of its identifiers, less those its resolution left
/// out) and into the new aggregates alone, and the profiles are evaluated again. Each step is a profiles
/// step, with the aggregate's progress: a crash goes on from the last step committed. A definition that
/// uses an aggregate being computed is "backfilling": its syncs wait, and recomputations (an unmerge) are
/// refused until it is done (they would count its past events twice).
/// </summary>
internal sealed partial class EngageBackfill(IProfileStore store, IEventLog log, Engagement engagement, IdentitySettingsSource settings, ILogger<EngageBackfill> logger) : BackgroundService
{
    /// <summary>Log rows one step reads at most.</summary>
    public const int RowsPerStep = 200;

    /// <summary>Profiles one step of the evaluation sweep evaluates at most.</summary>
    public const int ProfilesPerStep = 500;

    /// <summary>Computes one step; whether there is more to compute.</summary>
    public bool Step()
    {
        // Asked outside a step: with every aggregate done and every profile evaluated, no step (and no lock) is taken.
        var definitions = engagement.Current(store);
        var known = store.EngageAggregates();
        var evaluated = store.EngageEvaluated();
        if (definitions.Aggregates.All(a => known.GetValueOrDefault(a.Key)?.DoneAt is not null)
            && !definitions.NotEvaluated(evaluated).Any())
        {
            return false;
        }

        var more = false;
        store.RunStep(reader =>
        {
            if (engagement.Begin(reader) is not { } engage)
            {
                return [];
            }

            var used = engagement.Definitions.Aggregates.ToDictionary(a => a.Key, a => a.Aggregate, StringComparer.Ordinal);
            var pending = reader.EngageAggregates().Values.Where(a => a.DoneAt is null && used.ContainsKey(a.Key)).ToList();
            if (pending.Count == 0)
            {
                return Sweep(reader, engage, out more);
            }

            var starts = pending.ToDictionary(a => a.Key, a => JsonSerializer.Deserialize<Dictionary<int, long>>(a.Start)!, StringComparer.Ordinal);
            var until = starts.Values.SelectMany(s => s.Values).DefaultIfEmpty(0).Max();
            var from = pending.Min(a => a.Progress);
            var rows = from < until ? log.ReadFrom(from, RowsPerStep, null) : [];
            var identity = settings.Effective(reader.StoredSettings());
            var events = new List<(JsonDocument Message, EventPosition At, long ReceivedAt, HashSet<string> Aggregates, IReadOnlyList<Identifier> Candidates)>();
            var reached = from;
            var finished = rows.Count == 0;
            try
            {
                foreach (var row in rows)
                {
                    if (row.Position > until)
                    {
                        finished = true;
                        break;
                    }

                    reached = row.Position;
                    var aggregates = pending.Where(a => row.Position > a.Progress && row.Position <= starts[a.Key].GetValueOrDefault(row.Partition)).Select(a => a.Key).ToHashSet(StringComparer.Ordinal);
                    if (aggregates.Count == 0)
                    {
                        continue;
                    }

                    var names = aggregates.Select(k => used[k].Event).ToHashSet(StringComparer.Ordinal);
                    var index = 0;
                    foreach (var bytes in LogMessages.Split(row.Messages))
                    {
                        var at = new EventPosition(row.Position, index++);
                        if (LogMessages.IsErased(bytes))
                        {
                            continue;
                        }

                        var message = JsonDocument.Parse(bytes);
                        if (ProfileEvaluator.EventNameOf(message.RootElement) is { } name && names.Contains(name))
                        {
                            events.Add((message, at, row.ReceivedAt, aggregates, EventResolution.Candidates(message.RootElement, identity)));
                        }
                        else
                        {
                            message.Dispose();
                        }
                    }
                }

                finished |= reached >= until;
                var owners = reader.OwnersOf([.. events.SelectMany(e => e.Candidates).Distinct()]);
                var touched = new HashSet<string>(StringComparer.Ordinal);
                engage.Prefetch(owners.Values);
                foreach (var (message, at, receivedAt, aggregates, candidates) in events)
                {
                    if (OwnerOf(reader, candidates, owners, at) is { } profile)
                    {
                        engage.Backfill(profile, message.RootElement, Fact.OrderOf(at.Position, at.Index), receivedAt, aggregates);
                        touched.Add(profile);
                    }
                }

                var types = reader.Read([.. touched]).ToDictionary(
                    p => p.Id, p => (IReadOnlySet<string>)p.Identifiers.Select(i => i.Identifier.Type).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
                var now = engagement.Now;
                // Once the past is read, the evaluation sweep is next: a profile the backfill did not reach, or
                // a definition the events it read do not feed, is evaluated by it.
                more = true;
                return [
                    .. engage.Finish(types.GetValueOrDefault),
                    .. pending.Select(a => new EngageBackfillProgressed(a.Key, Math.Max(a.Progress, finished ? until : reached), finished ? now : null)),
                ];
            }
            finally
            {
                events.ForEach(e => e.Message.Dispose());
            }
        }, [], changesGraph: false);
        return more;
    }

    /// <summary>
    /// A step of the evaluation sweep: the next profiles by id are evaluated with the definitions in force
    /// (a new trait condition holds without any event); once every profile is, each definition's fingerprint
    /// is stored, and a definition whose fingerprint is stored is synced.
    /// </summary>
    private List<ProfileChange> Sweep(IProfileGraphReader reader, EngageStep engage, out bool more)
    {
        var definitions = engagement.Definitions;
        var sweep = reader.EngageSweep();
        var after = sweep is { } s && s.Fingerprint == definitions.Fingerprint ? s.After : "";
        var ids = reader.ProfileIdsAfter(after, ProfilesPerStep);
        engage.Confirm(definitions.NotEvaluated(reader.EngageEvaluated()));
        engage.Prefetch(ids);
        engage.Touch(ids);
        var types = reader.Read(ids).ToDictionary(
            p => p.Id, p => (IReadOnlySet<string>)p.Identifiers.Select(i => i.Identifier.Type).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        List<ProfileChange> changes = [.. engage.Finish(types.GetValueOrDefault)];
        more = ids.Count == ProfilesPerStep;
        changes.Add(new EngageSweepProgressed(definitions.Fingerprint, more ? ids[^1] : ""));
        if (!more)
        {
            changes.Add(new EngageDefinitionsEvaluated([.. definitions.Fingerprints]));
        }

        return changes;
    }

    /// <summary>
    /// The profile an event belongs to now: the owner of its identifiers; when they have several owners
    /// (a rule left one out), the owner of those its resolution kept.
    /// </summary>
    private static string? OwnerOf(IProfileGraphReader reader, IReadOnlyList<Identifier> candidates, IReadOnlyDictionary<Identifier, string> owners, EventPosition at)
    {
        var found = candidates.Select(owners.GetValueOrDefault).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (found.Count <= 1)
        {
            return found.FirstOrDefault();
        }

        var dropped = reader.DroppedAt(at);
        return candidates.Where(c => !dropped.Contains(c)).Select(owners.GetValueOrDefault).OfType<string>().FirstOrDefault();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        EngageRounds.RunAsync(_ => Task.FromResult(Step()), TimeSpan.FromSeconds(1), TimeProvider.System, failed => LogBackfillFailed(logger, failed), stoppingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engage: computing a definition over past events failed; it goes on from where it was")]
    private static partial void LogBackfillFailed(ILogger logger, Exception exception);

    /// <summary>How much of the past the backfill of a definition's aggregates has read, from 0 to 1.</summary>
    public static double Progress(IEnumerable<EventAggregate> used, IReadOnlyDictionary<string, EngageAggregateRow> aggregates)
    {
        var shares = used.Select(a => aggregates.GetValueOrDefault(a.Key)).Select(row =>
        {
            if (row is null)
            {
                return 0.0;
            }

            if (row.DoneAt is not null)
            {
                return 1.0;
            }

            var until = JsonSerializer.Deserialize<Dictionary<int, long>>(row.Start)!.Values.DefaultIfEmpty(0).Max();
            return until == 0 ? 1.0 : Math.Min(1.0, (double)row.Progress / until);
        }).ToList();
        return shares.Count == 0 ? 1.0 : Math.Round(shares.Min(), 3);
    }
}
