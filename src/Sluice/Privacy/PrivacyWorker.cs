using Sluice.EventLog;
using Sluice.Observability;
using Sluice.Privacy.Erasure;
using Sluice.Privacy.Store;

namespace Sluice.Privacy;

/// <summary>
/// Carries out regulations on every node: claims the oldest regulation whose store part is not done (a lease,
/// so one node at a time works on it, and a node that dies leaves it to the next), does a slice of it, and
/// sends the deletion requests due to destinations. Finished regulations are kept 90 days (their subjects
/// as hashes only), then go; suppressions stay in force until lifted.
/// </summary>
internal sealed partial class PrivacyWorker(
    RegulationStore store,
    StoreErasure erasure,
    DestinationDeletions deletions,
    EventLogOptions options,
    TimeProvider time,
    ILogger<PrivacyWorker> logger) : BackgroundService
{
    /// <summary>How long a finished regulation's record is kept.</summary>
    public static readonly TimeSpan RecordRetention = TimeSpan.FromDays(90);

    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);

    private readonly WakeSignal _wake = new();
    private long _nextPrune;

    /// <summary>A regulation was made on this node: look now rather than at the next poll.</summary>
    public void Wake() => _wake.Set();

    /// <summary>One round: a slice of the store's work and the destinations' requests due; true when more is waiting at once.</summary>
    public async Task<bool> RoundAsync(CancellationToken cancellation)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var more = false;
        if (store.Claim(options.NodeName, now, now + (long)Lease.TotalMilliseconds) is { } regulation)
        {
            try
            {
                more = erasure.Step(regulation, now);
            }
            finally
            {
                store.Release(regulation.Id);
            }
        }

        var sent = await deletions.SendDueAsync(options.NodeName, now, cancellation);
        if (now >= _nextPrune)
        {
            store.Prune(now - (long)RecordRetention.TotalMilliseconds);
            _nextPrune = now + (long)PruneEvery.TotalMilliseconds;
        }

        return more || sent > 0;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var more = false;
            try
            {
                more = await RoundAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogRoundFailed(exception);
            }

            if (!more)
            {
                try
                {
                    await _wake.WaitAsync(PollEvery, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = EventIds.PrivacyRoundFailed, Level = LogLevel.Warning, Message = "A round of privacy regulations' work failed; it is tried again in a second")]
    private partial void LogRoundFailed(Exception exception);
}
