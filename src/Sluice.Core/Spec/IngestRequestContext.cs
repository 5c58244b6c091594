using System.Text.Json;

namespace Sluice.Spec;

/// <summary>What every message of one Tracking API request shares: arrival time, client address, batch envelope defaults.</summary>
public sealed class IngestRequestContext
{
    public required long ReceivedAtMilliseconds { get; init; }

    public required string ClientIp { get; init; }

    /// <summary>Envelope <c>context</c>, deep-merged under each item's own (the item wins).</summary>
    public JsonElement? EnvelopeContext { get; init; }

    /// <summary>Envelope <c>integrations</c>, shallow-merged under each item's own (the item wins).</summary>
    public JsonElement? EnvelopeIntegrations { get; init; }

    /// <summary>Envelope <c>sentAt</c> as the client wrote it, for items without their own.</summary>
    public string? EnvelopeSentAt { get; init; }

    public long EnvelopeSentAtMilliseconds { get; init; }

    public int MaxMessageBytes { get; init; } = MessageLimits.DefaultMaxMessageBytes;
}

public static class MessageLimits
{
    /// <summary>Segment's documented per-message limit: 32 KB.</summary>
    public const int DefaultMaxMessageBytes = 32 * 1024;

    /// <summary>Segment's documented batch limit, "500KB", counted as 500 × 1,024 bytes like its clients do.</summary>
    public const int DefaultMaxBatchBytes = 500 * 1024;

    /// <summary>Segment's documented cap on messages in one batch.</summary>
    public const int MaxBatchItems = 2500;

    public const int MaxMessageIdLength = 100;
}
