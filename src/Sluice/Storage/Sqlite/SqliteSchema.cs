using Microsoft.Data.Sqlite;

namespace Sluice.Storage.Sqlite;

/// <summary>Schema versions, applied in order; <c>PRAGMA user_version</c> records the last one applied.</summary>
internal static class SqliteSchema
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            write_key TEXT NOT NULL UNIQUE
        );
        -- The inbox: one row per accepted request, holding its stored messages as a UTF-8 JSON
        -- array in request order. A batch of 100 messages is one row, not 100: per-row B-tree work
        -- is what limits SQLite's insert rate, and the whole batch is written and read together.
        CREATE TABLE inbox (
            seq INTEGER PRIMARY KEY,
            source_id TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            message_count INTEGER NOT NULL,
            messages BLOB NOT NULL
        );
        CREATE INDEX inbox_by_source ON inbox (source_id, seq);
        -- De-duplication window: one row per (source, messageId) accepted in the last 24 hours.
        -- Keyed by the texts, not a hash: client messageIds mostly start with a time or a counter
        -- (analytics-node: node-next-<epoch ms>-…), so new keys land at the right edge of the
        -- B-tree; a hash would scatter every insert over the whole tree (measured 3× slower).
        CREATE TABLE message_ids (
            source_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            accepted_at INTEGER NOT NULL,
            PRIMARY KEY (source_id, message_id)
        ) WITHOUT ROWID;
        CREATE INDEX message_ids_by_age ON message_ids (accepted_at);
        CREATE TABLE admin_tokens (
            id TEXT PRIMARY KEY,
            token_hash BLOB NOT NULL UNIQUE,
            scope TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        """,
        """
        -- Delivery jobs and the delivery log in one table: a row per (event, mapping), or per
        -- (event, destination) when nothing was sent (filtered, skipped).
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            destination_id TEXT NOT NULL,
            mapping TEXT,
            action TEXT,
            message_id TEXT NOT NULL,
            inbox_seq INTEGER NOT NULL,
            message_index INTEGER NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            lease_until INTEGER NOT NULL DEFAULT 0,
            http_status INTEGER,
            response TEXT,
            reason TEXT,
            payload BLOB,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
        CREATE INDEX deliveries_by_destination ON deliveries (destination_id, status, id);
        CREATE TABLE router_cursor (
            name TEXT PRIMARY KEY,
            seq INTEGER NOT NULL
        );
        """,
        """
        CREATE TABLE authentication_checks (
            destination_id TEXT PRIMARY KEY,
            fingerprint TEXT,
            valid INTEGER,
            message TEXT NOT NULL,
            checked_at INTEGER NOT NULL
        );
        """,
        """
        CREATE TABLE api_destinations (
            id TEXT PRIMARY KEY,
            definition TEXT NOT NULL,
            protected_settings TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        """,
        """
        ALTER TABLE sources ADD COLUMN managed_by TEXT NOT NULL DEFAULT 'workspace-file';
        ALTER TABLE sources ADD COLUMN previous_write_key TEXT;
        ALTER TABLE sources ADD COLUMN previous_valid_until INTEGER;
        """,
        """
        CREATE TABLE store_probe (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            at INTEGER NOT NULL
        );
        """,
        """
        ALTER TABLE sources ADD COLUMN allowed_origins TEXT;
        """,
    ];

    public static void Migrate(SqliteConnection connection)
    {
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        for (var next = version; next < Migrations.Length; next++)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Migrations[next] + $"\nPRAGMA user_version = {next + 1};";
            command.ExecuteNonQuery();
            transaction.Commit();
        }
    }
}
