namespace Sluice.EventLog;

/// <summary>
/// A reader of the event log with durable cursors of its own (the router; later profiles and Engage).
/// Registered with <see cref="EventLogServices.AddEventLogConsumer{TConsumer}"/>; the runner calls it
/// with the rows after its cursors in the partitions this node holds.
/// </summary>
internal interface IEventLogConsumer
{
    /// <summary>The name its cursors are stored under: stable, never reused by another consumer.</summary>
    string Name { get; }

    /// <summary>Where it starts when first registered on an installation that has events already.</summary>
    ConsumerStart Start { get; }

    /// <summary>
    /// Whether it gives way to the node's other consumers while they are behind (<see cref="ForegroundBacklog"/>):
    /// for work nobody waits on as they wait on a delivery.
    /// </summary>
    bool Yields => false;

    /// <summary>
    /// How many times the node's rows per read (<see cref="EventLogOptions.RowsPerRead"/>) a step reads: more for
    /// a consumer whose commit costs by the page rather than by the row (profiles: a step dirties a page of each
    /// random-key index per event, and a bigger step writes each page once for more events).
    /// </summary>
    int RowsPerReadMultiple => 1;

    /// <summary>The messages' bytes a step reads at most (always one row): what bounds a step's memory.</summary>
    long MaxReadBytes => IEventLog.MaxReadBytes;

    /// <summary>
    /// Handles rows, in log order, each after this consumer's cursor in its partition. The consumer
    /// writes its output and applies <paramref name="advances"/> in one transaction of its store
    /// (the store checks each advance's lease and throws <see cref="LeaseLostException"/>, writing
    /// nothing, when the lease moved on). A consumer with no output for these rows may return without
    /// committing: the runner saves its cursors now and then, and rows read again after a crash must
    /// then produce nothing again.
    /// </summary>
    void Consume(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances);
}
