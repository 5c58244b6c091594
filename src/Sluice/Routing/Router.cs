using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;
using Sluice.Delivery;
using Sluice.Observability;
using Sluice.Spec;
using Sluice.Storage;

namespace Sluice.Routing;

/// <summary>
/// Reads the inbox in order and records, for every message, what <see cref="RoutingDecisions"/>
/// decides for each destination its source feeds. Decisions and the cursor commit together,
/// so a crash routes a batch again rather than losing it; memory holds one batch of inbox rows.
/// </summary>
internal sealed partial class Router(
    IDeliveryStore store,
    RoutingTable table,
    RoutingDecisions decisions,
    TimeProvider time,
    Observability.SluiceMetrics metrics,
    ILogger<Router> logger) : BackgroundService
{
    private const int RowsPerBatch = 200;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(200);

    private const long CursorSaveIntervalMilliseconds = 5_000;

    private readonly WakeSignal _wake = new();
    private long? _cursor;
    private long _cursorSavedAt;

    /// <summary>Tells the router that new inbox rows exist (the ingest writer calls this after a commit).</summary>
    public void Notify() => _wake.Set();

    /// <summary>Routes everything in the inbox now; returns the number of messages routed (tests and replay use it).</summary>
    public int RouteAvailable()
    {
        var total = 0;
        _cursor ??= store.ReadRouterCursor();
        while (true)
        {
            var page = store.ReadInbox(_cursor.Value, RowsPerBatch, source => table.ForSource(source).Count > 0);
            if (page.LastSeq is not { } last)
            {
                return total;
            }

            var deliveries = new List<NewDelivery>();
            foreach (var message in page.Messages)
            {
                decisions.Route(message, deliveries);
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            // Rows that produced nothing need no commit of their own: re-reading them after a crash
            // produces nothing again. The cursor is still saved now and then, so a restart skips them.
            if (deliveries.Count > 0 || now - _cursorSavedAt >= CursorSaveIntervalMilliseconds)
            {
                // Counted before they are recorded: whoever reads a recorded outcome finds it counted too.
                foreach (var final in deliveries.Where(d => d.Status is not (DeliveryStatus.Pending or DeliveryStatus.Retrying)))
                {
                    metrics.Deliveries.WithLabels(final.DestinationId, Storage.Sqlite.SqliteDeliveryStore.Name(final.Status)).Inc();
                }

                store.RecordRouted(deliveries, last, now);
                _cursorSavedAt = now;
            }

            _cursor = last;
            total += page.Messages.Count;
            if (deliveries.Count > 0)
            {
                Signals.DeliveriesCreated?.Invoke();
            }
        }
    }

    /// <summary>Set by the dispatcher so that new jobs are picked up at once.</summary>
    public DeliverySignals Signals { get; } = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                RouteAvailable();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogRoutingFailed(exception);
            }

            try
            {
                await _wake.WaitAsync(IdlePoll, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = EventIds.RoutingFailed, Level = LogLevel.Error, Message = "Routing failed; it is retried from the same inbox row")]
    private partial void LogRoutingFailed(Exception exception);

}

/// <summary>Wake-ups between the pipeline's stages.</summary>
internal sealed class DeliverySignals
{
    public Action? DeliveriesCreated { get; set; }
}
