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
    }

    public CollectorRegistry Registry { get; }

    public Counter Received { get; }

    public Counter Accepted { get; }

    public Counter Rejected { get; }

    public Counter Duplicates { get; }

    public Histogram CommitGroupEvents { get; }

    public Histogram CommitSeconds { get; }

    public Gauge WriterQueueBytes { get; }
}
