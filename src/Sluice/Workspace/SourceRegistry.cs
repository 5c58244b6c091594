using System.Collections.Frozen;
using Prometheus;
using Sluice.Observability;
using Sluice.Storage;

namespace Sluice.Workspace;

/// <summary>A source as the Tracking API sees it, with its metric series resolved once.</summary>
public sealed class Source
{
    internal Source(StoredSource stored, SluiceMetrics metrics)
    {
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

    internal Counter.Child Received { get; }

    internal Counter.Child Accepted { get; }

    internal Counter.Child Duplicates { get; }
}

/// <summary>The sources in force, frozen at start-up: lookups by write key and by id without locks.</summary>
public sealed class SourceRegistry
{
    private readonly FrozenDictionary<string, Source> _byWriteKey;
    private readonly FrozenDictionary<string, Source> _byId;

    internal SourceRegistry(IEnumerable<StoredSource> sources, SluiceMetrics metrics)
    {
        var all = sources.Select(s => new Source(s, metrics)).ToList();
        _byWriteKey = all.ToFrozenDictionary(s => s.WriteKey, StringComparer.Ordinal);
        _byId = all.ToFrozenDictionary(s => s.Id, StringComparer.Ordinal);
    }

    public IEnumerable<Source> All => _byId.Values;

    public Source? FindByWriteKey(string writeKey) => _byWriteKey.GetValueOrDefault(writeKey);

    public Source? FindById(string id) => _byId.GetValueOrDefault(id);
}
