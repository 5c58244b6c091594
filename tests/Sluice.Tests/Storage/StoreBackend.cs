using Sluice.EventLog;
using Sluice.Infrastructure;
using Sluice.Storage.Postgres;
using Sluice.Storage.Sqlite;

namespace Sluice.Storage;

/// <summary>
/// A store backend under the contract suites: each call of <see cref="Open"/> gives another handle on
/// the same fresh store (as two processes or two nodes would have).
/// </summary>
internal abstract class StoreBackend : IDisposable
{
    public abstract StoreHandle Open();

    public abstract void Dispose();
}

/// <summary>The store's interfaces as one node sees them.</summary>
internal sealed record StoreHandle(IEventLog EventLog, IConsumerCursors Cursors, IPartitionLeases Leases, IDeliveryStore Deliveries, IDestinationState Destinations, IWorkspaceStore Workspace, Profiles.IProfileStore Profiles) : IDisposable
{
    public void Dispose() => EventLog.Dispose();
}

/// <summary>The embedded store: one SQLite file in a temporary folder.</summary>
internal sealed class SqliteBackend : StoreBackend
{
    private readonly string _directory = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");

    public override StoreHandle Open()
    {
        var database = new SqliteDatabase(_directory, SqliteDurability.Normal);
        return new StoreHandle(new SqliteEventLog(database), new SqliteConsumerCursors(database), new SqlitePartitionLeases(database), new SqliteDeliveryStore(database), new SqliteDestinationState(database), new SqliteWorkspaceStore(database), new Profiles.Store.SqliteProfileStore(database));
    }

    public override void Dispose()
    {
    }
}

/// <summary>The shared store: a fresh database on the test run's PostgreSQL server; each handle is a node's own connection pool.</summary>
internal sealed class PostgresBackend : StoreBackend
{
    private readonly string _connectionString = PostgresServer.NewDatabase();
    private readonly List<PostgresDatabase> _opened = [];

    /// <summary>The database's own connection string, for a test's session beside the nodes'.</summary>
    public string ConnectionString => _connectionString;

    public override StoreHandle Open()
    {
        var database = new PostgresDatabase(_connectionString);
        lock (_opened)
        {
            _opened.Add(database);
        }

        return new StoreHandle(new PostgresEventLog(database), new PostgresConsumerCursors(database), new PostgresPartitionLeases(database), new PostgresDeliveryStore(database), new PostgresDestinationState(database), new PostgresWorkspaceStore(database), new Profiles.Store.PostgresProfileStore(database));
    }

    public override void Dispose()
    {
        foreach (var database in _opened)
        {
            database.Dispose();
        }
    }
}
