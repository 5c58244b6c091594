using Microsoft.Data.Sqlite;

namespace Sluice.Storage.Sqlite;

/// <summary>The embedded store's file: opens connections with the pragmas durability needs and migrates the schema.</summary>
internal sealed class SqliteDatabase
{
    private const string FileName = "sluice.db";

    public SqliteDatabase(string directory, SqliteDurability durability)
    {
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), FileName);
        Durability = durability;
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        SqliteSchema.Migrate(connection);
    }

    public string Path { get; }

    public SqliteDurability Durability { get; }

    private string ConnectionString { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        // WAL lets the debugger read while the writer commits. FULL syncs the WAL on every commit,
        // so an acknowledged event survives power loss as well as kill -9; NORMAL survives kill -9 only.
        Execute(connection, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(Durability == SqliteDurability.Full ? "FULL" : "NORMAL")}; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;");
        return connection;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>How much a commit waits for the disk.</summary>
public enum SqliteDurability
{
    /// <summary>fsync on every commit: survives process crashes and power loss (default).</summary>
    Full,

    /// <summary>No fsync on commit (WAL): survives process crashes, may lose the last commits on power loss.</summary>
    Normal,
}
