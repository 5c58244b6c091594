namespace Sluice.Client;

/// <summary>What a call may carry besides its own fields; everything is optional.</summary>
public sealed record MessageOptions
{
    /// <summary>The anonymous id (a call needs a user id, an anonymous id, or both).</summary>
    public string? AnonymousId { get; init; }

    /// <summary>When the call happened; now when not given.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>Context fields (<c>ip</c>, <c>locale</c>, <c>page</c>…); <c>library</c> is always this client's.</summary>
    public IDictionary<string, object?>? Context { get; init; }

    /// <summary>The Integrations object: which destinations take the call (<c>{"All": false, "Stories": true}</c>).</summary>
    public IDictionary<string, object?>? Integrations { get; init; }

    /// <summary>The messageId; a new GUID when not given. Give your own to make retries of your own idempotent.</summary>
    public string? MessageId { get; init; }
}
