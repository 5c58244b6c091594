using System.Text.Json.Nodes;

namespace Sluice.Workspace;

/// <summary>The workspace as the file (or the first start) declares it: frozen once loaded.</summary>
internal sealed record WorkspaceDefinition(IReadOnlyList<SourceDefinition> Sources, IReadOnlyList<DestinationInstance> Destinations)
{
    public static WorkspaceDefinition Empty { get; } = new([], []);

    /// <summary>Things the file does that work but deserve a look (FQL that Segment reads differently), each with file:line:column.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The <c>identity:</c> section: profiles are built when it is there (null: not).</summary>
    public IdentitySettings? Identity { get; init; }

    /// <summary>
    /// Whether the <c>identity:</c> section sets anything: then the file manages the settings (the Admin API
    /// shows them and refuses changes); an empty section leaves them to the Admin API and the web app.
    /// </summary>
    public bool IdentitySetInFile { get; init; }

    /// <summary>The <c>engage:</c> section: computed traits and audiences (null: none).</summary>
    public EngageDefinitions? Engage { get; init; }

    /// <summary>The <c>retention:</c> section: how long events and delivery records are kept (null: the Admin API's settings, else the serve options).</summary>
    public EventLog.RetentionSettings? Retention { get; init; }
}

/// <summary>What the workspace file declares (null without one): the Admin API marks those resources as managed by it.</summary>
internal sealed record DeclaredWorkspace(WorkspaceDefinition? File);

/// <summary>A source; <see cref="WriteKey"/> is null when the file leaves it to be generated.</summary>
internal sealed record SourceDefinition(string Id, string Name, string? WriteKey)
{
    /// <summary>The web origins (scheme://host[:port]) whose pages may send with this source's key; null: any.</summary>
    public IReadOnlyList<string>? AllowedOrigins { get; init; }
}

/// <summary>A destination instance as the workspace file declares it: a catalog destination (its <see cref="Type"/>) with settings, mappings and filters.</summary>
internal sealed record DestinationInstance
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    /// <summary>Catalog slug: stories, actions-fullstory-cloud, stitch-data, webhook.</summary>
    public required string Type { get; init; }

    public required IReadOnlyList<string> Sources { get; init; }

    public bool Enabled { get; init; } = true;

    public JsonObject Settings { get; init; } = [];

    /// <summary>Whether the catalog's presets are added as mappings. Default true.</summary>
    public bool Presets { get; init; } = true;

    public IReadOnlyList<MappingDefinition> Mappings { get; init; } = [];

    public IReadOnlyList<FilterDefinition> Filters { get; init; } = [];

    /// <summary>How long failing deliveries are retried before they fail. Default 4 hours (Segment's).</summary>
    public TimeSpan RetryWindow { get; init; } = DefaultRetryWindow;

    public static TimeSpan DefaultRetryWindow { get; } = TimeSpan.FromHours(4);

    /// <summary>Most requests per second sent to this destination; null takes the catalog's default (none for most).</summary>
    public double? RateLimit { get; init; }

    /// <summary>Each user's deliveries are sent one after another in the order their events were stored; a retried one holds the user's later ones behind it. Default false.</summary>
    public bool Ordered { get; init; }
}

internal sealed record MappingDefinition
{
    public required string Name { get; init; }

    public required string Action { get; init; }

    public required string Trigger { get; init; }

    public JsonObject Mapping { get; init; } = [];

    public bool Enabled { get; init; } = true;
}

/// <summary>A destination filter: <see cref="If"/> selects events (null = every event), then exactly one effect applies.</summary>
internal sealed record FilterDefinition
{
    public required string Name { get; init; }

    public string? If { get; init; }

    public bool Drop { get; init; }

    /// <summary>Percent of matching events kept, 0–100.</summary>
    public double? Sample { get; init; }

    public IReadOnlyList<string>? Block { get; init; }

    public IReadOnlyList<string>? Allow { get; init; }
}
