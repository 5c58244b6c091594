using System.Collections.Frozen;

namespace Sluice.EventLog;

/// <summary>
/// How long raw events and delivery records are kept: by default (null: the <c>serve</c> option's), and
/// per source and per destination, which win over the default whichever is longer.
/// </summary>
internal sealed record RetentionSettings
{
    public static RetentionSettings None { get; } = new();

    /// <summary>How long every source's events are kept unless <see cref="Sources"/> says otherwise; null: <c>--event-retention</c>.</summary>
    public TimeSpan? Events { get; init; }

    /// <summary>How long every destination's final delivery records are kept unless <see cref="Destinations"/> says otherwise; null: <c>--delivery-retention</c>.</summary>
    public TimeSpan? Deliveries { get; init; }

    /// <summary>A source's events: kept this long, by source id.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Sources { get; init; } = FrozenDictionary<string, TimeSpan>.Empty;

    /// <summary>A destination's final delivery records: kept this long, by destination id.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Destinations { get; init; } = FrozenDictionary<string, TimeSpan>.Empty;
}

/// <summary>The retention settings in force now (the workspace file's, else those saved through the Admin API), read at each run of the retention.</summary>
internal interface IRetentionSettings
{
    RetentionSettings Current();
}

/// <summary>Without a workspace: the <c>serve</c> options alone.</summary>
internal sealed class NoRetentionSettings : IRetentionSettings
{
    public RetentionSettings Current() => RetentionSettings.None;
}

/// <summary>
/// Which rows one retention pass removes: those of <see cref="Only"/> (one source, or destination), or of
/// every one but <see cref="Except"/> (those kept longer than the default, which their own pass removes).
/// </summary>
internal sealed record RetentionScope(string? Only, IReadOnlyCollection<string> Except)
{
    /// <summary>Every row: what the default retention removes when nothing is kept longer.</summary>
    public static RetentionScope All { get; } = new(null, []);

    public bool IsAll => Only is null && Except.Count == 0;
}
