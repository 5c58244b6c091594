using System.Collections.Concurrent;
using System.Threading.Channels;
using Sluice.EventLog;

namespace Sluice.Debugger;

/// <summary>
/// The live debugger's feed: each message of a source, as stored, handed to whoever watches that
/// source as soon as <see cref="LiveTail"/> reads it from the log. A watcher that cannot keep up loses the oldest messages it
/// has not read (the debugger shows a sample, not a record), so ingest never waits for a browser.
/// </summary>
internal sealed class LiveEvents
{
    public const int BufferPerWatcher = 1_000;

    private readonly ConcurrentDictionary<Watcher, byte> _watchers = new();

    public bool HasWatchers => !_watchers.IsEmpty;

    /// <summary>Called by <see cref="LiveTail"/> for each row it reads from the log.</summary>
    public void Publish(LogRow row)
    {
        List<byte[]>? messages = null;
        foreach (var watcher in _watchers.Keys)
        {
            if (watcher.SourceId != row.SourceId)
            {
                continue;
            }

            messages ??= LogMessages.Split(row.Messages);
            foreach (var message in messages.Where(m => !LogMessages.IsErased(m)))
            {
                watcher.Feed.Writer.TryWrite(message);
            }
        }
    }

    public Watcher Watch(string sourceId)
    {
        var watcher = new Watcher(sourceId, this);
        _watchers[watcher] = 0;
        return watcher;
    }

    public sealed class Watcher : IDisposable
    {
        private readonly LiveEvents _owner;

        internal Watcher(string sourceId, LiveEvents owner)
        {
            SourceId = sourceId;
            _owner = owner;
        }

        public string SourceId { get; }

        internal Channel<byte[]> Feed { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(BufferPerWatcher) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

        public ChannelReader<byte[]> Messages => Feed.Reader;

        public void Dispose()
        {
            _owner._watchers.TryRemove(this, out _);
            Feed.Writer.TryComplete();
        }
    }
}
