using Microsoft.Data.Sqlite;

namespace Sluice.Storage.Sqlite;

/// <summary>
/// The profile store's file, <c>profiles.db</c>: the profile and Engage tables, and the cursors of the
/// consumer whose output they are, which must commit with it. Its steps then write under a lock of
/// their own, so they can be large without making ingest wait (docs/decisions.md, "The profile store in
/// a file of its own"). SQLite makes a transaction that writes two files atomic in each file, not
/// across them, so nothing writes both in one transaction: a privacy erasure's step is split instead
/// (Privacy/Erasure/StoreErasure).
/// </summary>
/// <remarks>
/// A store made before this file existed has these tables in <c>sluice.db</c>; <see cref="Migrate"/>
/// moves them in two commits, a copy (this file) and then the drop (the other), and a start that finds
/// both copies copies again: nothing writes the copies before the move has finished. The tables are
/// made by <see cref="SqliteSchema"/> first on every store, new or old, and moved; a later change to a
/// moved table is a migration of this file's (<see cref="Migrations"/>), not of SqliteSchema's.
/// </remarks>
internal static class ProfilesFile
{
    public const string FileName = "profiles.db";

    /// <summary>
    /// The name <c>sluice.db</c> is attached under on a connection to this file: PostgreSQL's schema has the
    /// same name (Postgres/PostgresSchema.Name), so a statement both stores run can name
    /// <c>sluice.consumer_cursors</c>, the node store's table whichever file or schema holds the profiles.
    /// </summary>
    public const string StoreSchema = "sluice";

    /// <summary>The tables that live in this file.</summary>
    internal static readonly IReadOnlyList<string> Tables =
    [
        "profiles", "profile_identifiers", "profile_traits", "profile_events", "profile_log", "profile_graph",
        "profile_settings", "profile_blocked",
        "engage_definitions", "engage_definitions_version", "engage_aggregates", "engage_state", "engage_values",
        "engage_changes", "engage_evaluated", "engage_sweep", "engage_syncs", "engage_sync_runs",
    ];

    /// <summary>
    /// The consumers whose cursors commit with this file's tables: their cursors here are the ones that count;
    /// <c>sluice.db</c>'s copy is moved behind them now and then (the consumer runner's save), for what reads
    /// every consumer's cursor there (log retention, a deletion's wait, lag): never ahead, so never too early.
    /// </summary>
    internal static readonly IReadOnlyList<string> Consumers = ["profiles"];

    /// <summary>This file's own schema versions, after the move; <c>PRAGMA user_version</c> of the file records the last applied.</summary>
    private static readonly string[] Migrations =
    [
        """
        -- The cursors of the consumers whose output is in this file, shaped as sluice.db's consumer_cursors.
        CREATE TABLE IF NOT EXISTS consumer_cursors (
            consumer TEXT NOT NULL,
            partition INTEGER NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (consumer, partition)
        ) WITHOUT ROWID;
        -- Blobs of zeros that take this file's free pages when a deletion ends (StoreErasure.Scrub).
        CREATE TABLE IF NOT EXISTS privacy_scrub (zeros BLOB NOT NULL);
        """,
        """
        -- The name profiles' states keep an aggregate under, new to each registration: an aggregate no
        -- definition uses any more leaves engage_aggregates, and when it is used again its new registration
        -- is computed from the log under a name of its own. Registrations from before this have none (the
        -- name is the hash of the key, StateLayout.NameOf).
        ALTER TABLE engage_aggregates ADD COLUMN name TEXT;
        """,
        """
        -- Each run of a connection's sync that sent something or was its first (Engage/Activation/EngageSync):
        -- the history the definition's page shows, the newest runs of each connection kept. changes: the
        -- values a first sync covered, or the changes of a later one.
        CREATE TABLE IF NOT EXISTS engage_sync_runs (
            id INTEGER PRIMARY KEY,
            connection TEXT NOT NULL,
            at INTEGER NOT NULL,
            first INTEGER NOT NULL,
            changes INTEGER NOT NULL,
            messages INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS engage_sync_runs_by_connection ON engage_sync_runs (connection, id);
        """,
    ];

    /// <summary>The newest version of this file's schema this build knows.</summary>
    internal static long Latest => Migrations.Length;

    /// <summary>The migrations the move needs (the cursors' table it copies into); the later ones change moved tables, and run after it.</summary>
    private const int BeforeTheMove = 1;

    /// <summary>
    /// Moves cursors kept in this file (<see cref="Consumers"/>) inside the caller's transaction, each only while
    /// its partition's lease (in <c>sluice.db</c>) still has the advance's owner and epoch; a cursor not
    /// there yet is made (a new store's, or a partition the consumer had not stepped in).
    /// </summary>
    public static void AdvanceCursors(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<EventLog.CursorAdvance> advances) =>
        SqliteConsumerCursors.Advance(connection, transaction, advances, $"""
            INSERT INTO main.consumer_cursors (consumer, partition, position)
            SELECT $consumer, $partition, $position
            WHERE EXISTS (SELECT 1 FROM {StoreSchema}.partition_leases WHERE partition = $partition AND owner = $owner AND epoch = $epoch)
            ON CONFLICT (consumer, partition) DO UPDATE SET position = excluded.position
            """);

    /// <summary>Moves the tables still in <c>sluice.db</c> into this file, then applies this file's migrations (those the move needs before it).</summary>
    public static void Migrate(SqliteConnection connection)
    {
        ApplyMigrations(connection, BeforeTheMove);
        Move(connection);
        ApplyMigrations(connection, Migrations.Length);
    }

    private static void Move(SqliteConnection connection)
    {
        var left = Strings(connection, null, $"SELECT name FROM {StoreSchema}.sqlite_master WHERE type = 'table'").Intersect(Tables).ToList();
        if (left.Count == 0)
        {
            return;
        }

        using (var copy = connection.BeginTransaction(deferred: true))
        {
            foreach (var table in left)
            {
                Execute(connection, copy, $"DROP TABLE IF EXISTS main.{table}");
                // The statements SQLite kept, run unqualified on this connection: they make the table and its
                // indexes in main, this file, exactly as they are in sluice.db (columns added since included).
                var made = Strings(connection, copy, $"SELECT sql FROM {StoreSchema}.sqlite_master WHERE tbl_name = $1 AND sql IS NOT NULL ORDER BY type = 'table' DESC, rowid", table);
                foreach (var sql in made)
                {
                    Execute(connection, copy, sql);
                }

                Execute(connection, copy, $"INSERT INTO main.{table} SELECT * FROM {StoreSchema}.{table}");
            }

            foreach (var consumer in Consumers)
            {
                Execute(connection, copy, $"INSERT OR REPLACE INTO main.consumer_cursors (consumer, partition, position) SELECT consumer, partition, position FROM {StoreSchema}.consumer_cursors WHERE consumer = $1", consumer);
            }

            copy.Commit();
        }

        using var drop = connection.BeginTransaction(deferred: true);
        foreach (var table in left)
        {
            Execute(connection, drop, $"DROP TABLE {StoreSchema}.{table}");
        }

        drop.Commit();
    }

    private static void ApplyMigrations(SqliteConnection connection, int upTo)
    {
        var version = (int)(long)Scalar(connection, "PRAGMA main.user_version")!;
        for (var next = version; next < upTo; next++)
        {
            using var transaction = connection.BeginTransaction(deferred: true);
            Execute(connection, transaction, Migrations[next]);
            Execute(connection, transaction, $"PRAGMA main.user_version = {next + 1}");
            transaction.Commit();
        }
    }

    private static List<string> Strings(SqliteConnection connection, SqliteTransaction? transaction, string sql, params object[] values)
    {
        using var command = Command(connection, transaction, sql, values);
        using var rows = command.ExecuteReader();
        var list = new List<string>();
        while (rows.Read())
        {
            list.Add(rows.GetString(0));
        }

        return list;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, null, sql, []);
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql, params object[] values)
    {
        using var command = Command(connection, transaction, sql, values);
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, object[] values)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.AddWithValue($"${i + 1}", values[i]);
        }

        return command;
    }
}
