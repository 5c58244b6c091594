using Sluice.Engage.Store;
using Sluice.EventLog;
using Sluice.Ingest;
using Sluice.Profiles;
using Sluice.Routing;
using Sluice.Workspace;

namespace Sluice.Engage.Activation;

/// <summary>
/// Sends computed traits and audience memberships to the destinations they are connected to. A
/// connection's first sync sends every current value (each member of an audience); from then on, each
/// change, in order (engage_changes after the connection's last one). The messages enter the event log as
/// events of the connection's system source (<see cref="EngageMessages.SourceOf"/>), so the router
/// delivers them like any event: the destination's filters, mappings and presets apply, and what is not
/// delivered says why in the delivery log. Messages are stored before the connection's progress: a crash
/// in between sends the same messages (same messageIds) again, and the log's de-duplication keeps one.
/// </summary>
internal sealed partial class EngageSync(
    IProfileStore store,
    Engagement engagement,
    IngestWriter writer,
    RoutingTable routing,
    SuppressedSubjects suppressed,
    TimeProvider time,
    ILogger<EngageSync> logger) : BackgroundService
{
    /// <summary>Changes a connection sends in one go at most.</summary>
    public const int ChangesPerBatch = 500;

    /// <summary>How often the store is asked for changes to send.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>The changes of a definition kept once sent (its page's history): the older ones are deleted.</summary>
    public const int ChangesKept = 1_000;

    /// <summary>The runs of each connection's sync kept (its page's sync history): the older ones are deleted.</summary>
    public const int SyncRunsKept = 100;

    private long _nextPrune;

    /// <summary>Sends what each connection has not sent yet; how many messages.</summary>
    public async Task<int> SyncAsync(CancellationToken cancellation)
    {
        var sent = 0;
        var syncs = store.EngageSyncs();
        var definitions = engagement.Current(store);
        var backfilling = engagement.Backfilling(store.EngageAggregates(), definitions, store.EngageEvaluated());
        foreach (var (key, audience, _, connection) in definitions.Connections)
        {
            // Not computed over the past yet: its values would come and go as the past is read.
            if (backfilling.Contains(key) || routing.Find(connection.DestinationId) is not { } destination)
            {
                continue;
            }

            var name = $"{key}/{connection.DestinationId}";
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (!syncs.TryGetValue(name, out var sync))
            {
                var snapshot = store.EngageSnapshotOf(key);
                var first = snapshot.Values.SelectMany(v => Messages(key, audience, connection, destination, v.ProfileId, v.Json, $"first:{v.ProfileId}:{v.Json}", now)).ToList();
                await AppendAsync(connection.DestinationId, first, cancellation);
                store.SaveEngageSync(name, snapshot.LastChangeId, now, first.Count);
                store.RecordEngageSyncRun(name, now, first: true, snapshot.Values.Count, first.Count);
                sent += first.Count;
                continue;
            }

            for (var changes = store.EngageChangesOf(key, sync.LastChangeId, ChangesPerBatch); changes.Count > 0; changes = store.EngageChangesOf(key, changes[^1].Id, ChangesPerBatch))
            {
                var messages = NetChanges(changes, audience)
                    .SelectMany(c => Messages(key, audience, connection, destination, c.Change.ProfileId, c.Change.Json, $"change:{c.Change.Id}", c.Change.At, c.Resent))
                    .ToList();
                await AppendAsync(connection.DestinationId, messages, cancellation);
                var syncedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
                store.SaveEngageSync(name, changes[^1].Id, syncedAt, messages.Count);
                store.RecordEngageSyncRun(name, syncedAt, first: false, changes.Count, messages.Count);
                sent += messages.Count;
                if (changes.Count < ChangesPerBatch)
                {
                    break;
                }
            }
        }

        PruneWhenDue(definitions);
        return sent;
    }

    /// <summary>
    /// Once a minute, each definition's changes that every connection has sent go, but for the newest
    /// <see cref="ChangesKept"/>: the change log would otherwise grow with every value that moves. So do the
    /// sync runs of each connection past its newest <see cref="SyncRunsKept"/>.
    /// </summary>
    private void PruneWhenDue(EngageDefinitions definitions)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now < _nextPrune)
        {
            return;
        }

        _nextPrune = now + 60_000;
        var syncs = store.EngageSyncs();
        foreach (var key in definitions.Traits.Select(t => t.Key).Concat(definitions.Audiences.Select(a => a.Key)))
        {
            // A connection not started yet sends its first sync from the values, not from the changes.
            var sent = definitions.Connections.Where(c => c.Key == key).Select(c => syncs.GetValueOrDefault($"{key}/{c.Connection.DestinationId}")?.LastChangeId)
                .Where(id => id is not null).Select(id => id!.Value).DefaultIfEmpty(long.MaxValue).Min();
            store.PruneEngageChanges(key, sent == long.MaxValue ? long.MaxValue : sent + 1, ChangesKept);
        }

        store.PruneEngageSyncRuns(SyncRunsKept);
    }

    /// <summary>
    /// Each profile's last change of the batch, when it leaves the value other than it was before the first:
    /// a user who entered and left again in between gets nothing. An audience sends an exit only to a user
    /// who was sent its entry (who was a member). A value that stays but was sent again (its profile gained
    /// an identifier, <see cref="EngageValueResent"/>) goes as it is, marked <c>Resent</c>.
    /// </summary>
    private static IEnumerable<(EngageChangeRow Change, bool Resent)> NetChanges(IReadOnlyList<EngageChangeRow> changes, bool audience) =>
        changes.GroupBy(c => c.ProfileId, StringComparer.Ordinal)
            .Select(g => (Before: g.First().Previous, Last: g.Last(), Resent: g.Any(c => c.Resent)))
            .Where(c => c.Before != c.Last.Json
                ? !audience || c.Last.Json == "true" || c.Before == "true"
                : c.Resent && c.Last.Json != (audience ? "false" : "null"))
            .Select(c => (c.Last, Resent: c.Before == c.Last.Json))
            .OrderBy(c => c.Last.Id);

    /// <param name="resent">A value that stays, sent again: as an identify alone (a track marks an entry, an exit, a computation).</param>
    private IEnumerable<EngageMessage> Messages(string key, bool audience, EngageConnection connection, RoutedDestination destination, string profileId, string json, string reason, long at, bool resent = false)
    {
        // A profile merged into another since has no identifiers of its own: the one it went into carries its values.
        var identifiers = store.ExternalIdsOf(profileId);
        // A person a privacy regulation suppresses is sent nothing, as the Tracking API stores nothing of theirs.
        if (identifiers.Count == 0 || identifiers.Any(i => suppressed.Covers(i.Identifier.Type == "user_id" ? i.Identifier.Value : null, i.Identifier.Type == "anonymous_id" ? i.Identifier.Value : null)))
        {
            return [];
        }

        return EngageMessages.For(key, audience, resent ? connection with { SendTrack = false } : connection, destination.Definition.Name, identifiers, profileId, json, reason, at);
    }

    private async Task AppendAsync(string destinationId, List<EngageMessage> messages, CancellationToken cancellation)
    {
        var source = EngageMessages.SourceOf(destinationId);
        foreach (var chunk in messages.Chunk(500))
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var pending = chunk.Select(m => new PendingEvent(m.MessageId, checkDuplicate: true, m.Type, m.Json, EventPartitions.Of(source, m.UserKey, writer.PartitionCount))).ToList();
            var batch = new EventBatch(source, pending, now);
            var bytes = pending.Sum(p => (long)p.Body.Length);
            Task? stored;
            // A full queue (ingest at its limit) is waited out: the changes stay where they are until then.
            while ((stored = writer.TryEnqueue(batch, bytes)) is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellation);
            }

            await stored;
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        EngageRounds.RunAsync(async stopping => { await SyncAsync(stopping); return false; }, Interval, time, failed => LogSyncFailed(logger, failed), stoppingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engage: sending computed traits and audiences to destinations failed; the next round tries again")]
    private static partial void LogSyncFailed(ILogger logger, Exception exception);
}
