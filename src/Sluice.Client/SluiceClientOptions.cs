namespace Sluice.Client;

/// <summary>How a <see cref="SluiceClient"/> reaches the Tracking API and batches its calls.</summary>
public sealed record SluiceClientOptions
{
    /// <summary>The source's write key, sent as the user name of HTTP Basic authentication.</summary>
    public required string WriteKey { get; init; }

    /// <summary>Where the Tracking API is: Sluice's default address, or <c>https://api.segment.io</c> for Segment.</summary>
    public Uri Host { get; init; } = new("http://127.0.0.1:8080");

    /// <summary>A batch is sent once it holds this many messages (Segment's Node client: 15).</summary>
    public int FlushAt { get; init; } = 15;

    /// <summary>…or once its first message has waited this long (Segment's clients: 10 s).</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Most messages waiting to be sent. When it is full, new calls are dropped (not the ones
    /// already waiting), counted in <see cref="SluiceClient.DroppedMessages"/> and reported through
    /// <see cref="SluiceClient.Failed"/>: memory stays bounded when the server is down for long.
    /// </summary>
    public int MaxQueueSize { get; init; } = 10_000;

    /// <summary>Attempts after the first for a batch that fails in a way worth retrying (network, 408, 429, 5xx).</summary>
    public int MaxRetries { get; init; } = 15;

    /// <summary>The first retry waits up to this long; each next one up to twice as long (full jitter), at most <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>With the defaults, a batch is retried for about two minutes before it is given up (a server restart is well within that).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one request may take before it counts as failed (and is retried).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long <c>Dispose</c> waits for queued messages to be sent.</summary>
    public TimeSpan DisposeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Compress request bodies with gzip.</summary>
    public bool Gzip { get; init; } = true;

    /// <summary>The clock (tests pass a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
