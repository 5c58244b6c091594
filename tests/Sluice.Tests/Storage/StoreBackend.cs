using Sluice.EventLog;
using Sluice.Infrastructure;
using Sluice.Storage.Sqlite;

namespace Sluice.Storage;

/// <summary>
/// A store backend under the contract suites: each call of <see cref="Open"/> gives another handle on
/// the same fresh store (as two processes or two nodes would have). The PostgreSQL issue adds a fixture.
/// </summary>
internal abstract class StoreBackend : IDisposable
{
    public abstract StoreHandle Open();

    public abstract void Dispose();
}

/// <summary>The store's interfaces as one node sees them.</summary>
internal sealed record StoreHandle(IEventLog EventLog, IConsumerCursors Cursors, IPartitionLeases Leases, IDeliveryStore Deliveries, IDestinationState Destinations, IWorkspaceStore Workspace) : IDisposable
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
        return new StoreHandle(new SqliteEventLog(database), new SqliteConsumerCursors(database), new SqlitePartitionLeases(database), new SqliteDeliveryStore(database), new SqliteDestinationState(database), new SqliteWorkspaceStore(database));
    }

    public override void Dispose()
    {
    }
}
