using Sluice.EventLog;
using Sluice.Observability;
using Sluice.Storage;

namespace Sluice.Routing;

/// <summary>
/// The first consumer of the event log: records, for every message, what <see cref="RoutingDecisions"/>
/// decides for each destination its source feeds. Deliveries that may go at once are sent first and
/// recorded with their outcome (<see cref="IRoutedSender.SendRoutedAsync"/>). Decisions and the
/// cursors commit together, so a crash routes rows again rather than losing them, and never records
/// them twice (what it had sent is sent again: at-least-once).
/// </summary>
internal sealed class Router(
    IDeliveryStore store,
    RoutingTable table,
    RoutingDecisions decisions,
    DeliveriesWaiting waiting,
    Workspace.WorkspaceChanges workspace,
    IRoutedSender dispatcher,
    IConsumerCursors cursors,
    TimeProvider time,
    SluiceMetrics metrics) : IEventLogConsumer
{
    public string Name => "router";

    /// <summary>Added to an installation with events, the router delivers its history: that is what a new Sluice did with an inbox.</summary>
    public ConsumerStart Start => ConsumerStart.Beginning;

    public void Consume(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances)
    {
        // The workspace as the store has it now (one read): an event stored after a change on any
        // node is routed with that change, not with what this node cached a moment ago.
        workspace.Refresh();
        var deliveries = new List<NewDelivery>();
        foreach (var row in rows)
        {
            // Rows of sources that feed no destination are passed over without being parsed.
            if (table.ForSource(row.SourceId).Count == 0)
            {
                continue;
            }

            var index = 0;
            foreach (var message in LogMessages.Split(row.Messages))
            {
                // An erased message (a deletion regulation's) is not an event any more: nothing to route.
                if (!LogMessages.IsErased(message))
                {
                    decisions.Route(new LoggedMessage(row.Position, index, row.SourceId, message), deliveries);
                }

                index++;
            }
        }

        // Rows that produced nothing need no commit: read again after a crash, they produce nothing
        // again. The runner saves the cursors now and then, so a restart passes over them.
        if (deliveries.Count == 0)
        {
            return;
        }

        // Counted before they are recorded: whoever reads a recorded outcome finds it counted too.
        foreach (var final in deliveries.Where(d => d.Status is not (DeliveryStatus.Pending or DeliveryStatus.Retrying)))
        {
            metrics.Deliveries.WithLabels(final.DestinationId, final.Status.Name()).Inc();
        }

        // Sent before recorded where they can go at once, so that their rows are written once; the
        // runner's loop is this consumer's own, and waits for the answers. A node whose partitions were
        // taken over (it has not heard yet) learns it before sending, not at its commit after.
        var recorded = dispatcher.SendRoutedAsync(deliveries, () => cursors.ConfirmHeld(advances)).GetAwaiter().GetResult();
        store.RecordRouted(recorded, advances, time.GetUtcNow().ToUnixTimeMilliseconds());
        if (recorded.Any(d => d.Status is DeliveryStatus.Pending or DeliveryStatus.Retrying))
        {
            waiting.Notify();
        }
    }
}
