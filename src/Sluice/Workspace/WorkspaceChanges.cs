using Sluice.Observability;
using Sluice.Storage;

namespace Sluice.Workspace;

/// <summary>
/// The one path by which workspace changes reach what caches them: the store's version
/// (<see cref="IWorkspaceStore.ReadVersion"/>) is compared with the version the caches were built
/// from, after each change this node makes and, for changes other nodes make, when the store announces
/// one (PostgreSQL) or every second; when it
/// moved, the sources and the destinations (and so the routing table) are rebuilt from the store.
/// Admin tokens are not cached at all: each Admin API request reads its token from the store.
/// </summary>
internal sealed partial class WorkspaceChanges(
    IWorkspaceStore store,
    SourceRegistry sources,
    ApiDestinations destinations,
    SuppressedSubjects suppressed,
    StoreNotifications notifications,
    ILogger<WorkspaceChanges> logger) : BackgroundService
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(1);

    /// <summary>How often an unknown write key may cost a read of the store's version: a flood of wrong keys must not become a flood of reads.</summary>
    private const long MissRefreshEveryMilliseconds = 100;

    private readonly Lock _lock = new();
    private long _built = Load(store, suppressed);
    private long _missRefreshedAt = -MissRefreshEveryMilliseconds;

    /// <summary>The version at start, with the suppressed subjects as of it (sources and destinations are loaded by their own start-up).</summary>
    private static long Load(IWorkspaceStore store, SuppressedSubjects suppressed)
    {
        var version = store.ReadVersion();
        suppressed.Replace(store.ReadSuppressedSubjects());
        return version;
    }

    /// <summary>Rebuilds the caches when the store's version moved; cheap (one read) when it did not.</summary>
    public void Refresh()
    {
        lock (_lock)
        {
            var version = store.ReadVersion();
            if (version == _built)
            {
                return;
            }

            // Sources first: destinations are checked against them.
            sources.Replace(store.ReadSources());
            destinations.Reload();
            suppressed.Replace(store.ReadSuppressedSubjects());

            _built = version;
        }
    }

    /// <summary>
    /// The source with this write key. A key not known here is looked up again after a refresh, at
    /// most every 100 ms: a source made on another node takes events within a tenth of a second, not
    /// a second later, and wrong keys cost the store one read per 100 ms whatever their number.
    /// </summary>
    public Source? SourceByWriteKey(string writeKey)
    {
        if (sources.FindByWriteKey(writeKey) is { } known)
        {
            return known;
        }

        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _missRefreshedAt);
        if (now - last < MissRefreshEveryMilliseconds || Interlocked.CompareExchange(ref _missRefreshedAt, now, last) != last)
        {
            return null;
        }

        Refresh();
        return sources.FindByWriteKey(writeKey);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Real time, not the injected clock: this is how soon another node's change shows here
                // (at once when the store announces it, within the poll when the announcement is lost).
                await notifications.WorkspaceChanged.WaitAsync(PollEvery, stoppingToken);
                Refresh();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception exception)
            {
                LogRefreshFailed(exception);
            }
        }
    }

    [LoggerMessage(EventId = EventIds.WorkspaceRefreshFailed, Level = LogLevel.Warning, Message = "Reading the workspace's changes from the store failed; tried again in a second")]
    private partial void LogRefreshFailed(Exception exception);
}
