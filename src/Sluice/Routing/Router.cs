using Sluice.EventLog;
using Sluice.Observability;
using Sluice.Storage;

namespace Sluice.Routing;

/// <summary>
/// The first consumer of the event log: records, for every message, what <see cref="RoutingDecisions"/>
/// decides for each destination its source feeds. Deliveries that may go at once are sent first and
/// recorded with their outcome (<see cref="IRoutedSender.BeginStep"/>). Decisions and the
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

    /// <summary>
    /// Deliveries handed to the sender in parts of about this many as they are routed, so that requests
    /// are under way while the rest of the step is routed. Measured with bench/delivery (BENCHMARKS.md):
    /// parts of 300 gave 1.04x the deliveries of a step sent whole; parts of 1,000 no measurable gain.
    /// </summary>
    internal const int SendPart = 300;

    public void Consume(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances)
    {
        // The workspace as the store has it now (one read): an event stored after a change on any
        // node is routed with that change, not with what this node cached a moment ago.
        workspace.Refresh();
        var deliveries = new List<NewDelivery>();
        var sending = new StepSending(dispatcher, () => cursors.ConfirmHeld(advances));
        try
        {
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

                if (deliveries.Count - sending.Handed >= SendPart)
                {
                    sending.Send(deliveries);
                }
            }
        }
        catch
        {
            // What is under way finishes before the step is given up: the step is routed and sent again, not left half-sent.
            sending.WaitQuietly();
            throw;
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
        sending.Send(deliveries);
        var recorded = sending.Wait();
        store.RecordRouted(recorded, advances, time.GetUtcNow().ToUnixTimeMilliseconds());
        if (recorded.Any(d => d.Status is DeliveryStatus.Pending or DeliveryStatus.Retrying))
        {
            waiting.Notify();
        }
    }

    /// <summary>A step's deliveries handed to the sender part by part; the step's sending begins with its first part.</summary>
    private sealed class StepSending(IRoutedSender sender, Action beforeSending)
    {
        private readonly List<Task<IReadOnlyList<NewDelivery>>> _parts = [];
        private IRoutedStep? _step;

        /// <summary>How many of the step's deliveries have been handed over.</summary>
        public int Handed { get; private set; }

        /// <summary>Hands over the deliveries routed since the last part.</summary>
        public void Send(List<NewDelivery> deliveries)
        {
            if (deliveries.Count == Handed)
            {
                return;
            }

            _step ??= sender.BeginStep(beforeSending);
            _parts.Add(_step.SendAsync(deliveries.GetRange(Handed, deliveries.Count - Handed)));
            Handed = deliveries.Count;
        }

        /// <summary>Every part's deliveries with their outcomes, in the order routed.</summary>
        public List<NewDelivery> Wait()
        {
            var parts = Task.WhenAll(_parts).GetAwaiter().GetResult();
            var all = new List<NewDelivery>(Handed);
            foreach (var part in parts)
            {
                all.AddRange(part);
            }

            return all;
        }

        public void WaitQuietly()
        {
            try
            {
                Task.WhenAll(_parts).Wait();
            }
            catch (AggregateException)
            {
                // The step failed already; that is the error to report.
            }
        }
    }
}
