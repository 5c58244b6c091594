using System.Collections.Concurrent;

namespace Sluice.Delivery;

/// <summary>
/// Spaces the requests to a destination with a rate limit evenly: each request takes the next free
/// slot (1/rate apart) and waits for it. Slots are handed out under a lock and waited for outside it,
/// so concurrent senders queue up in order. Time is the injected clock's, so tests need not wait.
/// </summary>
internal sealed class RatePacer(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Slots> _slots = new(StringComparer.Ordinal);

    public Task WaitTurnAsync(string destinationId, double? perSecond, CancellationToken cancellation)
    {
        if (perSecond is not > 0)
        {
            return Task.CompletedTask;
        }

        var slots = _slots.GetOrAdd(destinationId, _ => new Slots());
        var now = time.GetTimestamp();
        var interval = (long)(time.TimestampFrequency / perSecond!.Value);
        long slot;
        lock (slots)
        {
            slot = Math.Max(now, slots.Next);
            slots.Next = slot + interval;
        }

        var wait = time.GetElapsedTime(now, slot);
        return wait <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, time, cancellation);
    }

    private sealed class Slots
    {
        public long Next { get; set; }
    }
}
