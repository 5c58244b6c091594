using System.Net;
using Sluice.Ingest;
using Sluice.Storage.Sqlite;

namespace Sluice.Hosting;

/// <summary>What <c>sluice serve</c> is told: the options and environment variables of the external contract.</summary>
internal sealed record ServeOptions
{
    public const string DefaultUrls = "http://127.0.0.1:8080";
    public const string DefaultDataDirectory = "./sluice-data";

    /// <summary>Where to listen; <c>--urls</c> or <c>SLUICE_URLS</c>. Default http://127.0.0.1:8080.</summary>
    public string Urls { get; init; } = DefaultUrls;

    /// <summary>The embedded store's directory; <c>--data</c> or <c>SLUICE_DATA</c>. Default ./sluice-data.</summary>
    public string DataDirectory { get; init; } = DefaultDataDirectory;

    /// <summary>The workspace file; <c>--config</c> or <c>SLUICE_CONFIG</c>. None by default.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>An owner admin token valid on every start; <c>SLUICE_ADMIN_TOKEN</c>.</summary>
    public string? AdminToken { get; init; }

    /// <summary>Proxies whose X-Forwarded-For is believed; <c>--trusted-proxy</c> or <c>SLUICE_TRUSTED_PROXIES</c> (comma-separated).</summary>
    public IReadOnlyList<IPAddress> TrustedProxies { get; init; } = [];

    /// <summary>Where everything is stored; <c>--store sqlite|postgres</c> or <c>SLUICE_STORE</c>. Default sqlite (embedded, in <see cref="DataDirectory"/>).</summary>
    public StoreKind Store { get; init; } = StoreKind.Sqlite;

    /// <summary>The PostgreSQL connection string with <see cref="StoreKind.Postgres"/>; <c>--postgres</c> or <c>SLUICE_POSTGRES</c>.</summary>
    public string? PostgresConnection { get; init; }

    /// <summary>Whether each commit waits for fsync (embedded store); <c>--durability full|normal</c>. Default full.</summary>
    public SqliteDurability Durability { get; init; } = SqliteDurability.Full;

    public IngestOptions Ingest { get; init; } = new();

    /// <summary>Partition leases; <c>--lease-duration</c> or <c>SLUICE_LEASE_DURATION</c> sets how long a dead node's partitions wait.</summary>
    public EventLog.EventLogOptions EventLog { get; init; } = new();

    public Delivery.DeliveryOptions Delivery { get; init; } = new();

    /// <summary>One JSON object per log line (for log shippers); <c>--log-format json</c> or <c>SLUICE_LOG_FORMAT=json</c>.</summary>
    public bool JsonLogs { get; init; }

    /// <summary>Print what a newcomer needs (write keys, token, a curl) on start-up.</summary>
    public bool Announce { get; init; } = true;

    /// <summary>The destinations this server delivers to: the built-in ones, unless a host (a test) adds its own.</summary>
    public Destinations.DestinationCatalog Destinations { get; init; } = Sluice.Destinations.DestinationCatalog.Builtin;
}

/// <summary>The store backends.</summary>
internal enum StoreKind
{
    /// <summary>Embedded: one SQLite file in the data folder, one process.</summary>
    Sqlite,

    /// <summary>Shared: a PostgreSQL database, one node or several.</summary>
    Postgres,
}
