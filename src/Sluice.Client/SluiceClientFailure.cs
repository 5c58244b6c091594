namespace Sluice.Client;

/// <summary>Messages the client could not deliver, and why: the server's answer, or what went wrong on the way.</summary>
/// <param name="MessageIds">The messages concerned.</param>
/// <param name="Reason">What happened, in words.</param>
/// <param name="Status">The HTTP status of the server's last answer, if there was one.</param>
/// <param name="Response">The server's last answer (its body), if there was one.</param>
/// <param name="Exception">The exception behind it, if any.</param>
public sealed record SluiceClientFailure(IReadOnlyList<string> MessageIds, string Reason, int? Status = null, string? Response = null, Exception? Exception = null);

/// <summary>Thrown by a call whose message is larger than the Tracking API accepts (32 KB).</summary>
public sealed class MessageTooLargeException(int size, int limit)
    : ArgumentException($"the message is {size:N0} bytes as JSON; the Tracking API accepts at most {limit:N0} per message")
{
    public int Size { get; } = size;

    public int Limit { get; } = limit;
}
