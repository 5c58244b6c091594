using Microsoft.Data.Sqlite;

namespace Sluice.Storage.Sqlite;

/// <summary>
/// Copies the WAL back into the database file from a background thread. SQLite's automatic
/// checkpoint runs inside the committing connection, which would put that copying on the ingest
/// writer's thread, the one thread every acknowledgement waits for (measured: ~15% of its time).
/// </summary>
internal sealed class SqliteCheckpointer : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    // Past this size a RESTART checkpoint briefly waits for the writer so that the WAL starts over.
    private const long RestartAboveBytes = 256L * 1024 * 1024;

    private readonly SqliteDatabase _database;
    private readonly Timer _timer;
    private readonly Lock _running = new();
    private bool _disposed;

    public SqliteCheckpointer(SqliteDatabase database)
    {
        _database = database;
        _timer = new Timer(_ => Checkpoint(), null, Interval, Interval);
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_running)
        {
            _disposed = true;
        }

        Checkpoint(final: true);
    }

    private void Checkpoint(bool final = false)
    {
        if (!_running.TryEnter())
        {
            return;
        }

        try
        {
            if (_disposed && !final)
            {
                return;
            }

            var walBytes = new FileInfo(_database.Path + "-wal") is { Exists: true } wal ? wal.Length : 0;
            if (walBytes == 0)
            {
                return;
            }

            using var connection = _database.Open();
            SqliteDatabase.Execute(connection, walBytes > RestartAboveBytes || final ? "PRAGMA wal_checkpoint(RESTART);" : "PRAGMA wal_checkpoint(PASSIVE);");
        }
        catch (SqliteException)
        {
            // Busy or locked: the next tick tries again; the WAL keeps every committed event meanwhile.
        }
        finally
        {
            _running.Exit();
        }
    }
}
