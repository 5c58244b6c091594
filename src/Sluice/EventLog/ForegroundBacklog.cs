using System.Collections.Concurrent;

namespace Sluice.EventLog;

/// <summary>
/// Whether this node's foreground consumers (those that do not <see cref="IEventLogConsumer.Yields"/>: the
/// router) are behind: their last read filled a whole page, so more is waiting. A yielding consumer (profiles)
/// waits while they are, for at most <see cref="EventLogOptions.MaxYield"/> at a time, so that a burst is
/// delivered first and resolved right after, and a node over capacity still resolves now and then.
/// </summary>
internal sealed class ForegroundBacklog
{
    private readonly ConcurrentDictionary<string, bool> _behind = new(StringComparer.Ordinal);

    public void Report(string consumer, bool behind) => _behind[consumer] = behind;

    public bool AnyBehind => _behind.Values.Any(b => b);
}
