using Prometheus;

namespace Sluice.Observability;

/// <summary>The server's Prometheus metrics, in a registry of their own so that several servers can run in one process (tests).</summary>
internal sealed class SluiceMetrics
{
    public SluiceMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        // Exemplars (trace ids on samples) cost a clock read and a pooled object on every increment of the hot path, and nothing here records traces.
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        Received = factory.CreateCounter("sluice_messages_received_total", "Messages received by the Tracking API, valid or not.", "source");
        Accepted = factory.CreateCounter("sluice_messages_accepted_total", "Messages stored (acknowledged durable).", "source");
        Rejected = factory.CreateCounter("sluice_messages_rejected_total", "Messages or requests rejected, by reason.", "reason");
        Suppressed = factory.CreateCounter("sluice_messages_suppressed_total", "Messages answered but not stored: their subject is suppressed by a privacy regulation.");
        Duplicates = factory.CreateCounter("sluice_messages_duplicate_total", "Messages acknowledged but not stored again: their messageId was accepted within the de-duplication window.", "source");
        CommitGroupEvents = factory.CreateHistogram("sluice_commit_group_events", "Events written per group commit.", new HistogramConfiguration
        {
            Buckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
        });
        CommitSeconds = factory.CreateHistogram("sluice_commit_duration_seconds", "Time of one group commit, flush included.", new HistogramConfiguration
        {
            Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16),
        });
        WriterQueueBytes = factory.CreateGauge("sluice_writer_queue_bytes", "Encoded bytes waiting for the group commit.");
        Deliveries = factory.CreateCounter("sluice_deliveries_total", "Delivery outcomes by destination: each attempt's (delivered, retrying, failed, skipped) and each routing decision that ends a delivery (filtered, skipped, failed).", "destination", "outcome");
        AttemptSeconds = factory.CreateHistogram("sluice_delivery_attempt_duration_seconds", "Time of one request to a destination's service, until its answer's headers and capped body are read.", new HistogramConfiguration
        {
            LabelNames = ["destination"],
            Buckets = Histogram.ExponentialBuckets(0.001, 2, 15),
        });
        Backlog = factory.CreateGauge("sluice_delivery_backlog", "Deliveries waiting (pending or retrying) per destination, read from the store when scraped.", "destination");
        PartitionsHeld = factory.CreateGauge("sluice_partitions_held", "Event log partitions this node holds the lease of (their consumers run here).");
        ClusterNodes = factory.CreateGauge("sluice_cluster_nodes", "Nodes alive on this store (heartbeat within the lease duration), read from the store when scraped.");
        ConsumerLagSeconds = factory.CreateGauge("sluice_consumer_lag_seconds", "Per consumer and partition this node holds: age of the oldest event it has not consumed yet (0 when caught up), read from the store when scraped.", "consumer", "partition");
        OldestWaitingSeconds = factory.CreateGauge("sluice_delivery_oldest_waiting_seconds", "Age of the oldest waiting delivery per destination (0 when none waits), read from the store when scraped.", "destination");
    }

    public Counter Deliveries { get; }

    public Histogram AttemptSeconds { get; }

    public Gauge Backlog { get; }

    public Gauge OldestWaitingSeconds { get; }

    public Gauge PartitionsHeld { get; }

    public Gauge ClusterNodes { get; }

    public Gauge ConsumerLagSeconds { get; }

    public CollectorRegistry Registry { get; }

    public Counter Received { get; }

    public Counter Accepted { get; }

    public Counter Rejected { get; }

    public Counter Suppressed { get; }

    public Counter Duplicates { get; }

    public Histogram CommitGroupEvents { get; }

    public Histogram CommitSeconds { get; }

    public Gauge WriterQueueBytes { get; }
}
