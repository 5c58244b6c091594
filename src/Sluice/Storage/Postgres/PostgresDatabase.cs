using System.Collections.Concurrent;
using System.Globalization;
using Npgsql;

namespace Sluice.Storage.Postgres;

/// <summary>
/// The PostgreSQL store: a pooled <see cref="NpgsqlDataSource"/> on schema <c>sluice</c>, migrated at
/// construction. Several nodes use one database; nothing here assumes it is the only one.
/// </summary>
internal sealed class PostgresDatabase : IDisposable
{
    private const long DayMilliseconds = 86_400_000;

    // The days whose partitions this process knows exist, so that an insert checks once a day, not per commit.
    private readonly ConcurrentDictionary<(DayTable Table, int Day), bool> _days = new();

    public PostgresDatabase(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException exception)
        {
            throw new ArgumentException($"the PostgreSQL connection string is not valid: {exception.Message}", nameof(connectionString), exception);
        }

        builder.SearchPath = PostgresSchema.Name;
        // A node needs a handful of connections (the writer, each consumer, the dispatcher, Admin API reads);
        // Npgsql's default of 100 per node would let three nodes exhaust PostgreSQL's default max_connections.
        if (!connectionString.Contains("pool size", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        // Statements used on every commit are prepared once per physical connection, and stay prepared across pool use.
        builder.MaxAutoPrepare = Math.Max(builder.MaxAutoPrepare, 64);
        builder.AutoPrepareMinUsages = 2;
        builder.ApplicationName ??= "sluice";
        // Nothing of a session outlives its use (no SET, no temporary tables, no session locks or LISTEN on
        // pooled connections: those take a connection of their own), so the seven statements Npgsql would
        // prepend to the next use of a pooled connection to reset it are work for nothing on every commit.
        builder.NoResetOnClose = true;
        DataSource = NpgsqlDataSource.Create(builder);
        var ownSession = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Pooling = false };
        SessionDataSource = NpgsqlDataSource.Create(ownSession);
        // Commits whose loss in a crash of PostgreSQL itself only means work done again: don't wait for their WAL flush.
        builder.Options = $"{builder.Options} -c synchronous_commit=off".Trim();
        builder.MaxPoolSize = Math.Max(1, builder.MaxPoolSize / 2);
        RelaxedDataSource = NpgsqlDataSource.Create(builder);
        PostgresSchema.Migrate(DataSource);
    }

    /// <summary>Connections a node opens at most unless its connection string says (Maximum Pool Size).</summary>
    public const int DefaultMaxPoolSize = 20;

    public NpgsqlDataSource DataSource { get; }

    /// <summary>
    /// Connections whose commits don't wait for the WAL to reach the disk (<c>synchronous_commit=off</c>): a
    /// crash of PostgreSQL (not of a node) may lose the last of them. Only for work that is then done again
    /// with nothing lost: a consumer's output with its cursor (the log is read again from the cursor), a
    /// claim or an attempt's outcome (the delivery is sent again: at-least-once). Never for ingest, which
    /// acknowledges events, or for configuration.
    /// </summary>
    public NpgsqlDataSource RelaxedDataSource { get; }

    /// <summary>
    /// Connections never pooled, for a session that holds something until it ends (a session advisory lock,
    /// LISTEN): closing one ends the session, so nothing it held can pass to another use.
    /// </summary>
    public NpgsqlDataSource SessionDataSource { get; }

    public NpgsqlConnection Open() => DataSource.OpenConnection();

    public NpgsqlConnection OpenRelaxed() => RelaxedDataSource.OpenConnection();

    /// <summary>The Unix day of a Unix time in milliseconds.</summary>
    public static int DayOf(long unixMilliseconds) => (int)long.DivRem(unixMilliseconds, DayMilliseconds).Quotient;

    /// <summary>Creates the day's partition of <paramref name="table"/> unless this process already knows it exists.</summary>
    public void EnsureDay(DayTable table, int day)
    {
        if (_days.ContainsKey((table, day)))
        {
            return;
        }

        using (var connection = Open())
        {
            CreateDay(connection, table, day);
        }

        _days[(table, day)] = true;
    }

    /// <summary>Creates the day's partition of <paramref name="table"/> if it does not exist, under the schema lock (two nodes creating the same day would collide).</summary>
    private static void CreateDay(NpgsqlConnection connection, DayTable table, int day)
    {
        using var transaction = connection.BeginTransaction();
        using (var lockSchema = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresSchema.SchemaLock})", connection, transaction))
        {
            lockSchema.ExecuteNonQuery();
        }

        var (from, to) = table.Bounds(day);
        using (var create = new NpgsqlCommand(
            $"CREATE TABLE IF NOT EXISTS {table.PartitionName(day)} PARTITION OF {table.Name} FOR VALUES FROM ({from.ToString(CultureInfo.InvariantCulture)}) TO ({to.ToString(CultureInfo.InvariantCulture)}) {table.StorageParameters}",
            connection,
            transaction))
        {
            create.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public void Dispose()
    {
        DataSource.Dispose();
        RelaxedDataSource.Dispose();
        SessionDataSource.Dispose();
    }
}

/// <summary>A table partitioned by day: its partitions are named <c>table_yyyyMMdd</c>.</summary>
internal sealed record DayTable(string Name, bool ByMilliseconds, string StorageParameters = "")
{
    /// <summary>Insert-only: vacuumed after inserts, so that index-only reads stay index-only.</summary>
    public static readonly DayTable EventLog = new("event_log", ByMilliseconds: true, "WITH (autovacuum_vacuum_insert_scale_factor = 0.02)");

    public static readonly DayTable MessageIds = new("message_ids", ByMilliseconds: false, "WITH (autovacuum_vacuum_insert_scale_factor = 0.02)");

    /// <summary>Room left on each page, so that a claim (lease and claimer, no indexed column) is a HOT update: no index entry written.</summary>
    public static readonly DayTable Deliveries = new("deliveries", ByMilliseconds: false, "WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05)");

    public string PartitionName(int day) => $"{Name}_{DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + day):yyyyMMdd}";

    /// <summary>The partition's range: [from, to) in the partition key's unit.</summary>
    public (long From, long To) Bounds(int day) => ByMilliseconds ? (day * 86_400_000L, (day + 1) * 86_400_000L) : (day, day + 1L);

    /// <summary>The day a partition holds, from its name; null for a name that is not one of this table's days.</summary>
    public int? DayOf(string partitionName) =>
        partitionName.Length == Name.Length + 9 && partitionName.StartsWith(Name + "_", StringComparison.Ordinal)
        && DateOnly.TryParseExact(partitionName.AsSpan(Name.Length + 1), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber
            : null;
}
