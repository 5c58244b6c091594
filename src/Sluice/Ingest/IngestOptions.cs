using System.ComponentModel.DataAnnotations;

namespace Sluice.Ingest;

/// <summary>Limits of the ingest path. Defaults are Segment's documented limits where Segment has one.</summary>
internal sealed record IngestOptions
{
    /// <summary>Largest single message, in UTF-8 bytes. Default 32 KB (Segment's limit).</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; init; } = Spec.MessageLimits.DefaultMaxMessageBytes;

    /// <summary>Largest decoded batch body, in bytes. Default 500 KB (Segment's limit, 512,000 bytes).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBatchBytes { get; init; } = Spec.MessageLimits.DefaultMaxBatchBytes;

    /// <summary>
    /// Encoded bytes that may wait for the group commit. Past this the Tracking API answers 503 with
    /// Retry-After instead of growing memory. Default 64 MB.
    /// </summary>
    [Range(1, 4L * 1024 * 1024 * 1024)]
    public long MaxQueuedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most events written in one transaction. Default 5,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxGroupEvents { get; init; } = 5_000;

    /// <summary>
    /// Where the store takes commits side by side (PostgreSQL), a second group commit starts while one is
    /// under way once this many events are queued; fewer wait for the commit under way to end and go in the
    /// next group, so small requests still share commits. Default 100 (one SDK batch, or a hundred requests).
    /// </summary>
    [Range(1, 1_000_000)]
    public int SideBySideCommitEvents { get; init; } = 100;

    /// <summary>How long an accepted (source, messageId) makes later copies duplicates. Default 24 hours.</summary>
    public TimeSpan DedupeWindow { get; init; } = TimeSpan.FromHours(24);
}
