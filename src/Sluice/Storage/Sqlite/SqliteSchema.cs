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
        """
        -- The event log replaces the inbox. A row holds the messages of one source and one partition
        -- from one group commit (a JSON array), so a batch is still a few rows, not one per message.
        -- Positions come from event_log_settings.next_position, moved once per group commit: never
        -- given twice, even once the newest rows are deleted, so a consumer's cursor can never fall
        -- behind a reused position (AUTOINCREMENT would do the same at a write per row: batch ingest
        -- measured 0.87×). One writer at a time (SQLite's write lock) takes them inside its
        -- transaction: commit order is position order.
        CREATE TABLE event_log (
            position INTEGER PRIMARY KEY,
            partition INTEGER NOT NULL,
            source_id TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            message_count INTEGER NOT NULL,
            messages BLOB NOT NULL
        );
        -- Inbox rows mixed users; they keep their order in partition 0, where the router reads them once.
        INSERT INTO event_log (position, partition, source_id, received_at, message_count, messages)
            SELECT seq, 0, source_id, received_at, message_count, messages FROM inbox ORDER BY seq;
        DROP TABLE inbox;
        -- No (partition, position) index: one process holds every partition of an embedded store and
        -- reads them together in position order; the index cost every group commit a B-tree leaf per
        -- partition it touched (batch ingest measured about two thirds of the build before).
        CREATE INDEX event_log_by_source ON event_log (source_id, position);
        CREATE TABLE event_log_settings (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            partition_count INTEGER NOT NULL,
            next_position INTEGER NOT NULL
        );
        INSERT INTO event_log_settings (id, partition_count, next_position) VALUES (1, 64, (SELECT COALESCE(MAX(position), 0) + 1 FROM event_log));
        -- A consumer's place in each partition, moved in the same transaction as the consumer's output.
        CREATE TABLE consumer_cursors (
            consumer TEXT NOT NULL,
            partition INTEGER NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (consumer, partition)
        ) WITHOUT ROWID;
        -- Which node holds each partition, until when, and the epoch (fencing token) of its claim.
        CREATE TABLE partition_leases (
            partition INTEGER PRIMARY KEY,
            owner TEXT,
            epoch INTEGER NOT NULL DEFAULT 0,
            lease_until INTEGER NOT NULL DEFAULT 0
        );
        WITH RECURSIVE p(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM p WHERE n < 63)
        INSERT INTO partition_leases (partition) SELECT n FROM p;
        -- The router's single cursor becomes a cursor per partition at the same place.
        WITH RECURSIVE p(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM p WHERE n < 63)
        INSERT INTO consumer_cursors (consumer, partition, position)
            SELECT 'router', n, seq FROM p, router_cursor WHERE router_cursor.name = 'router';
        DROP TABLE router_cursor;
        ALTER TABLE deliveries RENAME COLUMN inbox_seq TO log_position;
        """,
        """
        -- The workspace's version: moved by every change of sources, tokens and API destinations, by
        -- triggers, so that no writer can forget it. Every node compares it with the version its
        -- caches were built from (Workspace/WorkspaceChanges).
        CREATE TABLE workspace_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        );
        INSERT INTO workspace_version (id, version) VALUES (1, 1);
        CREATE TRIGGER sources_inserted AFTER INSERT ON sources BEGIN UPDATE workspace_version SET version = version + 1; END;
        CREATE TRIGGER sources_updated AFTER UPDATE ON sources BEGIN UPDATE workspace_version SET version = version + 1; END;
        CREATE TRIGGER sources_deleted AFTER DELETE ON sources BEGIN UPDATE workspace_version SET version = version + 1; END;
        CREATE TRIGGER tokens_inserted AFTER INSERT ON admin_tokens BEGIN UPDATE workspace_version SET version = version + 1; END;
        CREATE TRIGGER tokens_updated AFTER UPDATE ON admin_tokens BEGIN UPDATE workspace_version SET version = version + 1; END;
        CREATE TRIGGER tokens_deleted AFTER DELETE ON admin_tokens BEGIN UPDATE workspace_version SET version = version + 1; END;
        CREATE TRIGGER destinations_inserted AFTER INSERT ON api_destinations BEGIN UPDATE workspace_version SET version = version + 1; END;
        CREATE TRIGGER destinations_updated AFTER UPDATE ON api_destinations BEGIN UPDATE workspace_version SET version = version + 1; END;
        CREATE TRIGGER destinations_deleted AFTER DELETE ON api_destinations BEGIN UPDATE workspace_version SET version = version + 1; END;
        -- What every node's dispatcher shares about a destination: its hold after failures, and the
        -- next free send slot of its rate limit (Unix µs).
        CREATE TABLE destination_holds (
            destination_id TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            until INTEGER NOT NULL
        );
        CREATE TABLE rate_budgets (
            destination_id TEXT PRIMARY KEY,
            next_free INTEGER NOT NULL
        );
        """,
        """
        -- Ordered destinations: a delivery's user (null when its destination is not ordered). The index
        -- answers "does an earlier delivery of this user wait?" for each candidate of a claim.
        ALTER TABLE deliveries ADD COLUMN user_key TEXT;
        CREATE INDEX deliveries_ordered ON deliveries (destination_id, user_key, log_position, message_index, id)
            WHERE user_key IS NOT NULL AND status IN ('pending', 'retrying');
        """,
        """
        -- Profiles (Profiles/ProfileStore): the identity graph, written by the profiles consumer with its
        -- cursors. A merged profile keeps its row, pointing at the profile it went into; its identifiers
        -- and traits move there. graph_version counts the consumer's commits: a node's cache of the graph
        -- is good while the version is the one it wrote last.
        CREATE TABLE profiles (
            id TEXT PRIMARY KEY,
            created_at INTEGER NOT NULL,
            merges INTEGER NOT NULL,
            merged_into TEXT,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE profile_identifiers (
            type TEXT NOT NULL,
            value TEXT NOT NULL,
            profile_id TEXT NOT NULL,
            added_at INTEGER NOT NULL,
            source_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            PRIMARY KEY (type, value)
        ) WITHOUT ROWID;
        CREATE INDEX profile_identifiers_by_profile ON profile_identifiers (profile_id);
        -- Search by any identifier's value, whatever its type, and by a trait's value (its first 200
        -- characters: a long trait would not fit a B-tree entry).
        CREATE INDEX profile_identifiers_by_value ON profile_identifiers (value);
        CREATE TABLE profile_traits (
            profile_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT,
            timestamp INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            message_id TEXT NOT NULL,
            source_id TEXT NOT NULL,
            PRIMARY KEY (profile_id, key)
        ) WITHOUT ROWID;
        CREATE INDEX profile_traits_by_value ON profile_traits (substr(value, 1, 200));
        CREATE TABLE profile_events (
            profile_id TEXT NOT NULL,
            log_position INTEGER NOT NULL,
            message_index INTEGER NOT NULL,
            PRIMARY KEY (profile_id, log_position, message_index)
        ) WITHOUT ROWID;
        CREATE TABLE profile_log (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            profile_id TEXT,
            other_profile_id TEXT,
            identifier_type TEXT,
            identifier_value TEXT,
            reason TEXT,
            source_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            log_position INTEGER NOT NULL,
            message_index INTEGER NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE INDEX profile_log_by_profile ON profile_log (profile_id, id);
        CREATE INDEX profile_log_by_other ON profile_log (other_profile_id, id) WHERE other_profile_id IS NOT NULL;
        CREATE TABLE profile_graph (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        );
        INSERT INTO profile_graph (id, version) VALUES (1, 0);
        """,
        """
        -- Recomputation (Profiles/Recompute), by an unmerge or a change of the identity settings:
        -- identifiers an unmerge blocked, never used again; each merge or drop recomputed is marked undone
        -- by the recomputation's own log row. It finds its events by profile (profiles merged into one,
        -- their events) and by identifier (the events that dropped it).
        CREATE TABLE profile_blocked (
            type TEXT NOT NULL,
            value TEXT NOT NULL,
            profile_id TEXT,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            note TEXT,
            PRIMARY KEY (type, value)
        ) WITHOUT ROWID;
        ALTER TABLE profile_log ADD COLUMN undone_by INTEGER;
        ALTER TABLE profile_log ADD COLUMN actor TEXT;
        CREATE INDEX profile_log_by_event ON profile_log (log_position, message_index);
        CREATE INDEX profile_log_drops_by_identifier ON profile_log (identifier_type, identifier_value) WHERE kind = 'drop';
        CREATE INDEX profiles_by_merged_into ON profiles (merged_into) WHERE merged_into IS NOT NULL;
        -- Identity settings saved through the Admin API (an empty identity: section in the file leaves them to it).
        CREATE TABLE profile_settings (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            settings TEXT NOT NULL,
            updated_at INTEGER NOT NULL,
            actor TEXT NOT NULL
        );
        """,
        """
        -- Engage (Engage/): a profile's computed traits and audiences. engage_state holds, per profile, the
        -- state of each aggregate of events the definitions use and the values last computed, with the
        -- instant at which time alone could change one (due_at, swept by EngageSweeper). engage_values is
        -- the same values by definition, for sizes and lists; engage_changes every change of one, in order,
        -- what syncs to destinations are made from.
        CREATE TABLE engage_state (
            profile_id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            due_at INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX engage_state_due ON engage_state (due_at) WHERE due_at IS NOT NULL;
        CREATE TABLE engage_values (
            key TEXT NOT NULL,
            profile_id TEXT NOT NULL,
            value TEXT NOT NULL,
            changed_at INTEGER NOT NULL,
            PRIMARY KEY (key, profile_id)
        ) WITHOUT ROWID;
        CREATE INDEX engage_values_by_profile ON engage_values (profile_id);
        CREATE TABLE engage_changes (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            profile_id TEXT NOT NULL,
            value TEXT NOT NULL,
            previous TEXT,
            at INTEGER NOT NULL
        );
        CREATE INDEX engage_changes_by_key ON engage_changes (key, id);
        CREATE INDEX engage_changes_by_profile ON engage_changes (profile_id, id);
        """,
        """
        -- Engage's syncs (Engage/Activation): per connection of a computed trait or audience to a
        -- destination ("key/destination"), the last change sent; a connection without a row has not
        -- sent its first sync (every current value) yet.
        CREATE TABLE engage_syncs (
            connection TEXT PRIMARY KEY,
            last_change_id INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            synced_at INTEGER NOT NULL,
            messages INTEGER NOT NULL
        );
        -- Each aggregate of events the definitions use, from when it was first used: the profiles consumer's
        -- cursors then (start: the events up to them are computed into it by the backfill, those after by
        -- the consumer), how far the backfill has read the log, and when it finished.
        CREATE TABLE engage_aggregates (
            key TEXT PRIMARY KEY,
            start TEXT NOT NULL,
            progress INTEGER NOT NULL,
            registered_at INTEGER NOT NULL,
            done_at INTEGER
        );
        -- Computed traits and audiences made through the Admin API and the web app (the workspace file's
        -- are not stored); version moves with each change, so every node reloads them at its next step.
        CREATE TABLE engage_definitions (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            query TEXT NOT NULL,
            include_anonymous INTEGER NOT NULL,
            destinations TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            actor TEXT NOT NULL
        );
        CREATE TABLE engage_definitions_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        );
        INSERT INTO engage_definitions_version (id, version) VALUES (1, 0);
        -- Every profile is evaluated again when the definitions change (a trait condition needs no events
        -- to hold): the sweep's place (by profile id) and the definitions it is for; engage_evaluated holds
        -- each definition's fingerprint once a sweep has evaluated every profile with it.
        CREATE TABLE engage_sweep (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            fingerprint TEXT NOT NULL,
            after TEXT NOT NULL
        );
        CREATE TABLE engage_evaluated (
            key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL
        );
        """,
        """
        -- Privacy regulations (Privacy/): suppressions and deletions of a subject's data, Segment's regulations API.
        -- subject_ids holds the ids in clear only while the work needs them; subject_hashes (Subject.Hash) stays
        -- with the record. phase is where the store's part is: scan (erasing the subject's events in the log up to
        -- scan_until), profiles, erase (the profiles' events), deliveries, cancel (a suppression's waiting deliveries), done.
        CREATE TABLE regulations (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            subject_type TEXT NOT NULL,
            subject_ids TEXT,
            subject_hashes TEXT NOT NULL,
            subject_count INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            phase TEXT NOT NULL,
            scan_until INTEGER NOT NULL,
            scanned_to INTEGER NOT NULL DEFAULT 0,
            deliveries_to INTEGER NOT NULL DEFAULT 0,
            events_erased INTEGER NOT NULL DEFAULT 0,
            deliveries_erased INTEGER NOT NULL DEFAULT 0,
            profiles_erased INTEGER NOT NULL DEFAULT 0,
            waiting_for TEXT,
            leased_by TEXT,
            lease_until INTEGER NOT NULL DEFAULT 0,
            finished_at INTEGER
        );
        CREATE INDEX regulations_by_created ON regulations (created_at);
        -- The events a deletion erases (found in the log or on the subject's profiles), until it is done: its
        -- deliveries go once every consumer has read past them, so no step still holding one can record it again.
        CREATE TABLE regulation_events (
            regulation_id TEXT NOT NULL,
            log_position INTEGER NOT NULL,
            message_index INTEGER NOT NULL,
            partition INTEGER NOT NULL,
            PRIMARY KEY (regulation_id, log_position, message_index)
        );
        -- A deletion's request to each destination, per subject (its index in subject_ids), sent and retried like a delivery.
        CREATE TABLE regulation_destinations (
            regulation_id TEXT NOT NULL,
            destination_id TEXT NOT NULL,
            subject_index INTEGER NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            leased_by TEXT,
            lease_until INTEGER NOT NULL DEFAULT 0,
            http_status INTEGER,
            response TEXT,
            reason TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (regulation_id, destination_id, subject_index)
        );
        CREATE INDEX regulation_destinations_due ON regulation_destinations (next_attempt_at) WHERE status IN ('INITIALIZED', 'RUNNING');
        -- Suppressed subjects by Subject.Hash: the Tracking API answers their messages but stores none. Part of the
        -- workspace (its version moves with them), so every node's list is rebuilt as its sources are.
        CREATE TABLE suppressed_subjects (
            hash TEXT PRIMARY KEY,
            subject_type TEXT NOT NULL,
            regulation_id TEXT NOT NULL,
            since INTEGER NOT NULL
        );
        -- Where a deletion regulation scrubs the file's free pages: blobs of zeros take every page of the free list
        -- (SQLite reuses free pages before it grows the file) and are deleted again (StoreErasure.Scrub).
        CREATE TABLE privacy_scrub (zeros BLOB NOT NULL);
        -- Retention settings saved through the Admin API (a retention: section in the workspace file wins over them).
        CREATE TABLE retention_settings (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            settings TEXT NOT NULL,
            updated_at INTEGER NOT NULL,
            actor TEXT NOT NULL
        );
        CREATE TRIGGER suppressed_inserted AFTER INSERT ON suppressed_subjects BEGIN UPDATE workspace_version SET version = version + 1; END;
        CREATE TRIGGER suppressed_deleted AFTER DELETE ON suppressed_subjects BEGIN UPDATE workspace_version SET version = version + 1; END;
        """,
        """
        -- A claim while destinations are held (SqliteDeliveryStore.ClaimDue): every other destination's due jobs
        -- in time order, without walking a held destination's backlog in deliveries_due.
        CREATE INDEX deliveries_due_by_destination ON deliveries (destination_id, next_attempt_at) WHERE status IN ('pending', 'retrying');
        """,
        """
        -- Engage's values and changes are no longer indexed by profile: each index was one more random-key
        -- B-tree written for every value that moved. A profile's values are found through the definitions'
        -- keys (ProfileSql.DistinctLeading, a seek per key); its changes are looked for only by an erasure,
        -- which reads the change log whole (at most EngageSync.ChangesKept a definition, plus those unsent).
        DROP INDEX engage_values_by_profile;
        DROP INDEX engage_changes_by_profile;
        """,
        """
        -- Search by an identifier's value finds it through the primary key, one seek per identifier type
        -- (ProfileSql.Search), instead of an index by value that every new identifier wrote.
        DROP INDEX profile_identifiers_by_value;
        """,
    ];

    /// <summary>Applies the migrations not applied yet, up to <paramref name="upTo"/> of them (tests build older stores with it).</summary>
    public static void Migrate(SqliteConnection connection, int upTo = int.MaxValue)
    {
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        for (var next = version; next < Math.Min(upTo, Migrations.Length); next++)
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
