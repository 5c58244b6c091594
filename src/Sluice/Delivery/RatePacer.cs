using System.Collections.Concurrent;
using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>
/// Spaces the requests to a destination with a rate limit evenly: each request takes the next send
/// slot (1/rate apart) and waits for it. Slots come from the destination's budget in the store, a
/// second's worth at a time, so that every node together keeps to the rate; a node hands out its
/// slots under a lock and they are waited for outside it, so concurrent senders queue up in order.
/// Slots left unused (the backlog ran out) are dropped, never sent in a burst later. Time is the
/// injected clock's, so tests need not wait.
/// </summary>
internal sealed class RatePacer(IDestinationState state, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Slots> _slots = new(StringComparer.Ordinal);

    /// <summary>Takes the next send slot of the destination; returns how long to wait for it (zero without a rate limit).</summary>
    public TimeSpan TakeSlot(string destinationId, double? perSecond)
    {
        if (perSecond is not > 0)
        {
            return TimeSpan.Zero;
        }

        var slots = _slots.GetOrAdd(destinationId, _ => new Slots());
        var now = (time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;
        var interval = Math.Max(1, (long)(1_000_000 / perSecond.Value));
        long slot;
        lock (slots)
        {
            if (slots.Next >= slots.End || slots.Next + interval < now)
            {
                var count = Math.Max(1, (int)Math.Ceiling(perSecond.Value));
                var first = state.ReserveSendSlots(destinationId, count, interval, now);
                (slots.Next, slots.End) = (first, first + count * interval);
            }

            slot = slots.Next;
            slots.Next += interval;
        }

        return slot > now ? TimeSpan.FromTicks((slot - now) * 10) : TimeSpan.Zero;
    }

    private sealed class Slots
    {
        public long Next { get; set; }

        public long End { get; set; }
    }
}
