using System.Collections.Frozen;
using Prometheus;
using Sluice.Observability;
using Sluice.Storage;

namespace Sluice.Workspace;

/// <summary>A source as the Tracking API sees it, with its metric series resolved once.</summary>
internal sealed class Source
{
    internal Source(StoredSource stored, SluiceMetrics metrics)
    {
        AllowedOrigins = stored.AllowedOrigins?.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        Id = stored.Id;
        Name = stored.Name;
        WriteKey = stored.WriteKey;
        Received = metrics.Received.WithLabels(Id);
        Accepted = metrics.Accepted.WithLabels(Id);
        Duplicates = metrics.Duplicates.WithLabels(Id);
    }

    public string Id { get; }

    public string Name { get; }

    public string WriteKey { get; }

    /// <summary>The origins whose pages may send with this source's key, or null for any (<c>allowedOrigins</c>).</summary>
    public FrozenSet<string>? AllowedOrigins { get; }

    /// <summary>Whether a request from <paramref name="origin"/> (its Origin header; empty for servers and apps, which send none) may use this source.</summary>
    public bool Allows(string origin) => AllowedOrigins is null || origin.Length == 0 || AllowedOrigins.Contains(origin);

    internal Counter.Child Received { get; }

    internal Counter.Child Accepted { get; }

    internal Counter.Child Duplicates { get; }
}

/// <summary>
/// The sources in force: lookups by write key and by id without locks. The Admin API swaps in a
/// new set when it changes one; a rotated write key keeps working until its grace period ends.
/// </summary>
internal sealed class SourceRegistry
{
    private readonly SluiceMetrics _metrics;
    private readonly TimeProvider _time;
    private volatile Snapshot _snapshot;

    internal SourceRegistry(IEnumerable<StoredSource> sources, SluiceMetrics metrics, TimeProvider? time = null)
    {
        (_metrics, _time) = (metrics, time ?? TimeProvider.System);
        _snapshot = Build(sources);
    }

    public IEnumerable<Source> All => _snapshot.ById.Values;

    public Source? FindByWriteKey(string writeKey)
    {
        var snapshot = _snapshot;
        if (snapshot.ByWriteKey.TryGetValue(writeKey, out var source))
        {
            return source;
        }

        return snapshot.ByPreviousKey.TryGetValue(writeKey, out var previous) && previous.Until > _time.GetUtcNow().ToUnixTimeMilliseconds() ? previous.Source : null;
    }

    public Source? FindById(string id) => _snapshot.ById.GetValueOrDefault(id);

    /// <summary>The stored form of a source (its management and rotation state) for the Admin API.</summary>
    internal StoredSource? Stored(string id) => _snapshot.Stored.GetValueOrDefault(id);

    internal IEnumerable<StoredSource> AllStored => _snapshot.Stored.Values;

    internal void Replace(IEnumerable<StoredSource> sources) => _snapshot = Build(sources);

    private Snapshot Build(IEnumerable<StoredSource> sources)
    {
        var stored = sources.ToList();
        var all = stored.Select(s => new Source(s, _metrics)).ToList();
        var byId = all.ToFrozenDictionary(s => s.Id, StringComparer.Ordinal);
        return new Snapshot(
            byId,
            all.ToFrozenDictionary(s => s.WriteKey, StringComparer.Ordinal),
            stored.Where(s => s.PreviousWriteKey is not null).ToFrozenDictionary(s => s.PreviousWriteKey!, s => (byId[s.Id], s.PreviousValidUntil ?? 0), StringComparer.Ordinal),
            stored.ToFrozenDictionary(s => s.Id, StringComparer.Ordinal));
    }

    private sealed record Snapshot(
        FrozenDictionary<string, Source> ById,
        FrozenDictionary<string, Source> ByWriteKey,
        FrozenDictionary<string, (Source Source, long Until)> ByPreviousKey,
        FrozenDictionary<string, StoredSource> Stored);
}
