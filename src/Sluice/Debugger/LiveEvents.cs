using System.Collections.Concurrent;
using System.Threading.Channels;
using Sluice.Storage;

namespace Sluice.Debugger;

/// <summary>
/// The live debugger's feed: each message of a source, as stored, handed to whoever watches that
/// source right after its group commit. A watcher that cannot keep up loses the oldest messages it
/// has not read (the debugger shows a sample, not a record), so ingest never waits for a browser.
/// </summary>
internal sealed class LiveEvents
{
    public const int BufferPerWatcher = 1_000;

    private readonly ConcurrentDictionary<Watcher, byte> _watchers = new();

    /// <summary>Called by the ingest writer after each commit: nothing to do unless someone watches.</summary>
    public void Publish(IReadOnlyList<EventBatch> committed)
    {
        if (_watchers.IsEmpty)
        {
            return;
        }

        foreach (var batch in committed)
        {
            foreach (var watcher in _watchers.Keys.Where(w => w.SourceId == batch.SourceId))
            {
                foreach (var message in batch.Events.Where(e => !e.IsDuplicate))
                {
                    watcher.Feed.Writer.TryWrite(message.Body);
                }
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
