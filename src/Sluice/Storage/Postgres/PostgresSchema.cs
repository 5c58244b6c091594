using Npgsql;

namespace Sluice.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema's versions, applied in order in schema <c>sluice</c>; <c>schema_version</c>
/// records the last one applied. Every node runs <see cref="Migrate"/> at start-up: a transaction-scoped
/// advisory lock makes nodes that start together apply each version once, one after the other.
/// </summary>
internal static class PostgresSchema
{
    public const string Name = "sluice";

    /// <summary>The lock every migration and maintenance run takes (<c>pg_advisory_xact_lock</c>), so one node at a time changes the schema.</summary>
    public const long SchemaLock = 0x51_1C_E0_01;

    /// <summary>The session lock a node holds while it applies the workspace at start-up (<see cref="IWorkspaceStore.HoldStartupLock"/>).</summary>
    public const long StartupLock = 0x51_1C_E0_02;

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE sources (
            id text PRIMARY KEY,
            name text NOT NULL,
            write_key text NOT NULL UNIQUE,
            managed_by text NOT NULL DEFAULT 'workspace-file',
            previous_write_key text,
            previous_valid_until bigint,
            allowed_origins text
        );
        CREATE TABLE admin_tokens (
            id text PRIMARY KEY,
            token_hash bytea NOT NULL UNIQUE,
            scope text NOT NULL,
            name text NOT NULL,
            created_at bigint NOT NULL
        );
        CREATE TABLE authentication_checks (
            destination_id text PRIMARY KEY,
            fingerprint text,
            valid boolean,
            message text NOT NULL,
            checked_at bigint NOT NULL
        );
        CREATE TABLE api_destinations (
            id text PRIMARY KEY,
            definition text NOT NULL,
            protected_settings text NOT NULL,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL
        );
        -- The keys that encrypt API destinations' settings (ASP.NET Core Data Protection's XML), shared
        -- by every node: what one node encrypted, another must read.
        CREATE TABLE protection_keys (
            name text PRIMARY KEY,
            xml text NOT NULL
        );
        -- Moved by every change of sources, tokens and API destinations (statement triggers, so no
        -- writer can forget it), and announced on channel sluice_workspace at commit.
        CREATE TABLE workspace_version (
            id integer PRIMARY KEY CHECK (id = 1),
            version bigint NOT NULL
        );
        INSERT INTO workspace_version (id, version) VALUES (1, 1);
        CREATE FUNCTION workspace_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE workspace_version SET version = version + 1;
            PERFORM pg_notify('sluice_workspace', '');
            RETURN NULL;
        END $$;
        CREATE TRIGGER sources_changed AFTER INSERT OR UPDATE OR DELETE ON sources FOR EACH STATEMENT EXECUTE FUNCTION workspace_changed();
        CREATE TRIGGER tokens_changed AFTER INSERT OR UPDATE OR DELETE ON admin_tokens FOR EACH STATEMENT EXECUTE FUNCTION workspace_changed();
        CREATE TRIGGER destinations_changed AFTER INSERT OR UPDATE OR DELETE ON api_destinations FOR EACH STATEMENT EXECUTE FUNCTION workspace_changed();

        -- The event log, partitioned by day of received_at (Unix ms) so that retention drops a day
        -- instead of deleting rows. A row holds one source's messages of one log partition from one
        -- group commit. position = (transaction id << 20) + row index in the commit: readers take only
        -- positions below the oldest transaction still running (pg_snapshot_xmin), so no commit can
        -- land behind a position a reader has passed, and no counter serializes the nodes' commits.
        CREATE TABLE event_log (
            position bigint NOT NULL,
            partition smallint NOT NULL,
            source_id text NOT NULL,
            received_at bigint NOT NULL,
            message_count integer NOT NULL,
            messages bytea NOT NULL
        ) PARTITION BY RANGE (received_at);
        -- Position order serves every read (a node's partitions are filtered from it); an index by
        -- (partition, position) as well cost a third more per row written and saved little.
        CREATE INDEX event_log_by_position ON event_log (position);
        CREATE INDEX event_log_by_source ON event_log (source_id, position);
        CREATE TABLE event_log_settings (
            id integer PRIMARY KEY CHECK (id = 1),
            partition_count integer NOT NULL
        );
        INSERT INTO event_log_settings (id, partition_count) VALUES (1, 64);
        -- The de-duplication window by day (Unix days): a messageId is inserted into its day, and
        -- looked up in the days before it that the window reaches.
        CREATE TABLE message_ids (
            day integer NOT NULL,
            source_id text NOT NULL,
            message_id text NOT NULL,
            accepted_at bigint NOT NULL,
            PRIMARY KEY (source_id, message_id, day)
        ) PARTITION BY RANGE (day);
        CREATE TABLE consumer_cursors (
            consumer text NOT NULL,
            partition smallint NOT NULL,
            position bigint NOT NULL,
            PRIMARY KEY (consumer, partition)
        ) WITH (fillfactor = 50);
        CREATE TABLE partition_leases (
            partition smallint PRIMARY KEY,
            owner text,
            epoch bigint NOT NULL DEFAULT 0,
            lease_until bigint NOT NULL DEFAULT 0
        ) WITH (fillfactor = 50);
        INSERT INTO partition_leases (partition) SELECT generate_series(0, 63);
        -- The nodes alive: each renews its row with its leases; the fair share is partitions / live nodes.
        CREATE TABLE nodes (
            owner text PRIMARY KEY,
            host text NOT NULL,
            started_at bigint NOT NULL,
            seen_at bigint NOT NULL
        );

        -- Delivery jobs and the delivery log, partitioned by the day a delivery was created (Unix days).
        CREATE TABLE deliveries (
            id bigint GENERATED ALWAYS AS IDENTITY,
            day integer NOT NULL,
            destination_id text NOT NULL,
            mapping text,
            action text,
            message_id text NOT NULL,
            log_position bigint NOT NULL,
            message_index integer NOT NULL,
            status text NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at bigint NOT NULL,
            lease_until bigint NOT NULL DEFAULT 0,
            claimed_by text,
            http_status integer,
            response text,
            reason text,
            payload bytea,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            PRIMARY KEY (id, day)
        ) PARTITION BY RANGE (day);
        CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
        -- Without the status: an outcome changes the status, and every index holding it must be written again.
        CREATE INDEX deliveries_by_destination ON deliveries (destination_id, id);
        CREATE TABLE destination_holds (
            destination_id text PRIMARY KEY,
            failures integer NOT NULL,
            until bigint NOT NULL
        );
        CREATE TABLE rate_budgets (
            destination_id text PRIMARY KEY,
            next_free bigint NOT NULL
        ) WITH (fillfactor = 50);
        CREATE TABLE store_probe (
            id integer PRIMARY KEY CHECK (id = 1),
            at bigint NOT NULL
        );
        """,
        """
        -- Ordered destinations: a delivery's user (null when its destination is not ordered). The index
        -- answers "does an earlier delivery of this user wait?" for each candidate of a claim.
        ALTER TABLE deliveries ADD COLUMN user_key text;
        CREATE INDEX deliveries_ordered ON deliveries (destination_id, user_key, log_position, message_index, id)
            WHERE user_key IS NOT NULL AND status IN ('pending', 'retrying');
        """,
        """
        -- A group commit is one statement (PostgresEventLog): it remembers the group's messageIds and
        -- writes its rows, and fails when a messageId was seen before (today's by the unique key, the
        -- window's earlier days' through this), so that nothing of it is kept and the node writes the
        -- group again without the duplicates.
        CREATE FUNCTION require_fresh(inserted integer, expected integer) RETURNS integer LANGUAGE plpgsql AS $$
        BEGIN
            IF inserted <> expected THEN
                RAISE EXCEPTION 'a messageId of the group was seen before' USING ERRCODE = 'SL001';
            END IF;
            RETURN inserted;
        END $$;
        """,
        """
        -- Profiles (Profiles/ProfileStore), as on SQLite. graph_version counts the profiles consumer's
        -- commits; its steps take the profiles lock (pg_advisory_xact_lock), so one node at a time changes
        -- the graph, and a node's cache of it is good while the version is the one it wrote last.
        CREATE TABLE profiles (
            id text PRIMARY KEY,
            created_at bigint NOT NULL,
            merges integer NOT NULL,
            merged_into text,
            updated_at bigint NOT NULL
        );
        CREATE TABLE profile_identifiers (
            type text NOT NULL,
            value text NOT NULL,
            profile_id text NOT NULL,
            added_at bigint NOT NULL,
            source_id text NOT NULL,
            message_id text NOT NULL,
            PRIMARY KEY (type, value)
        );
        CREATE INDEX profile_identifiers_by_profile ON profile_identifiers (profile_id);
        -- Search by any identifier's value, whatever its type, and by a trait's value (its first 200
        -- characters: a long trait would not fit a B-tree entry).
        CREATE INDEX profile_identifiers_by_value ON profile_identifiers (value);
        CREATE TABLE profile_traits (
            profile_id text NOT NULL,
            key text NOT NULL,
            value text,
            timestamp bigint NOT NULL,
            received_at bigint NOT NULL,
            message_id text NOT NULL,
            source_id text NOT NULL,
            PRIMARY KEY (profile_id, key)
        );
        CREATE INDEX profile_traits_by_value ON profile_traits (substr(value, 1, 200));
        CREATE TABLE profile_events (
            profile_id text NOT NULL,
            log_position bigint NOT NULL,
            message_index integer NOT NULL,
            PRIMARY KEY (profile_id, log_position, message_index)
        );
        CREATE TABLE profile_log (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind text NOT NULL,
            profile_id text,
            other_profile_id text,
            identifier_type text,
            identifier_value text,
            reason text,
            source_id text NOT NULL,
            message_id text NOT NULL,
            log_position bigint NOT NULL,
            message_index integer NOT NULL,
            at bigint NOT NULL
        );
        CREATE INDEX profile_log_by_profile ON profile_log (profile_id, id);
        CREATE INDEX profile_log_by_other ON profile_log (other_profile_id, id) WHERE other_profile_id IS NOT NULL;
        CREATE TABLE profile_graph (
            id integer PRIMARY KEY CHECK (id = 1),
            version bigint NOT NULL
        );
        INSERT INTO profile_graph (id, version) VALUES (1, 0);
        """,
        """
        -- Recomputation (Profiles/Recompute), by an unmerge or a change of the identity settings:
        -- identifiers an unmerge blocked, never used again; each merge or drop recomputed is marked undone
        -- by the recomputation's own log row. It finds its events by profile (profiles merged into one,
        -- their events) and by identifier (the events that dropped it).
        CREATE TABLE profile_blocked (
            type text NOT NULL,
            value text NOT NULL,
            profile_id text,
            at bigint NOT NULL,
            actor text NOT NULL,
            note text,
            PRIMARY KEY (type, value)
        );
        ALTER TABLE profile_log ADD COLUMN undone_by bigint;
        ALTER TABLE profile_log ADD COLUMN actor text;
        CREATE INDEX profile_log_by_event ON profile_log (log_position, message_index);
        CREATE INDEX profile_log_drops_by_identifier ON profile_log (identifier_type, identifier_value) WHERE kind = 'drop';
        CREATE INDEX profiles_by_merged_into ON profiles (merged_into) WHERE merged_into IS NOT NULL;
        -- Identity settings saved through the Admin API (an empty identity: section in the file leaves them to it).
        CREATE TABLE profile_settings (
            id integer PRIMARY KEY CHECK (id = 1),
            settings text NOT NULL,
            updated_at bigint NOT NULL,
            actor text NOT NULL
        );
        """,
        """
        -- Engage (Engage/): a profile's computed traits and audiences. engage_state holds, per profile, the
        -- state of each aggregate of events the definitions use and the values last computed, with the
        -- instant at which time alone could change one (due_at, swept by EngageSweeper). engage_values is
        -- the same values by definition, for sizes and lists; engage_changes every change of one, in order,
        -- what syncs to destinations are made from.
        CREATE TABLE engage_state (
            profile_id text PRIMARY KEY,
            state text NOT NULL,
            due_at bigint
        );
        CREATE INDEX engage_state_due ON engage_state (due_at) WHERE due_at IS NOT NULL;
        CREATE TABLE engage_values (
            key text NOT NULL,
            profile_id text NOT NULL,
            value text NOT NULL,
            changed_at bigint NOT NULL,
            PRIMARY KEY (key, profile_id)
        );
        CREATE INDEX engage_values_by_profile ON engage_values (profile_id);
        CREATE TABLE engage_changes (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key text NOT NULL,
            profile_id text NOT NULL,
            value text NOT NULL,
            previous text,
            at bigint NOT NULL
        );
        CREATE INDEX engage_changes_by_key ON engage_changes (key, id);
        CREATE INDEX engage_changes_by_profile ON engage_changes (profile_id, id);
        """,
        """
        -- Engage's syncs (Engage/Activation): per connection of a computed trait or audience to a
        -- destination ("key/destination"), the last change sent; a connection without a row has not
        -- sent its first sync (every current value) yet.
        CREATE TABLE engage_syncs (
            connection text PRIMARY KEY,
            last_change_id bigint NOT NULL,
            started_at bigint NOT NULL,
            synced_at bigint NOT NULL,
            messages bigint NOT NULL
        );
        -- Each aggregate of events the definitions use, from when it was first used: the profiles consumer's
        -- cursors then (start: the events up to them are computed into it by the backfill, those after by
        -- the consumer), how far the backfill has read the log, and when it finished.
        CREATE TABLE engage_aggregates (
            key text PRIMARY KEY,
            start text NOT NULL,
            progress bigint NOT NULL,
            registered_at bigint NOT NULL,
            done_at bigint
        );
        -- Computed traits and audiences made through the Admin API and the web app (the workspace file's
        -- are not stored); version moves with each change, so every node reloads them at its next step.
        CREATE TABLE engage_definitions (
            key text PRIMARY KEY,
            kind text NOT NULL,
            name text NOT NULL,
            query text NOT NULL,
            include_anonymous integer NOT NULL,
            destinations text NOT NULL,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            actor text NOT NULL
        );
        CREATE TABLE engage_definitions_version (
            id integer PRIMARY KEY CHECK (id = 1),
            version bigint NOT NULL
        );
        INSERT INTO engage_definitions_version (id, version) VALUES (1, 0);
        -- Every profile is evaluated again when the definitions change (a trait condition needs no events
        -- to hold): the sweep's place (by profile id) and the definitions it is for; engage_evaluated holds
        -- each definition's fingerprint once a sweep has evaluated every profile with it.
        CREATE TABLE engage_sweep (
            id integer PRIMARY KEY CHECK (id = 1),
            fingerprint text NOT NULL,
            after text NOT NULL
        );
        CREATE TABLE engage_evaluated (
            key text PRIMARY KEY,
            fingerprint text NOT NULL
        );
        """,
        """
        -- Privacy regulations (Privacy/): suppressions and deletions of a subject's data, Segment's regulations API.
        -- subject_ids holds the ids in clear only while the work needs them; subject_hashes (Subject.Hash) stays
        -- with the record. phase is where the store's part is: scan (erasing the subject's events in the log up to
        -- scan_until), profiles, erase (the profiles' events), deliveries, cancel (a suppression's waiting deliveries), done.
        CREATE TABLE regulations (
            id text PRIMARY KEY,
            type text NOT NULL,
            subject_type text NOT NULL,
            subject_ids text,
            subject_hashes text NOT NULL,
            subject_count integer NOT NULL,
            created_at bigint NOT NULL,
            actor text NOT NULL,
            phase text NOT NULL,
            scan_until bigint NOT NULL,
            scanned_to bigint NOT NULL DEFAULT 0,
            deliveries_to bigint NOT NULL DEFAULT 0,
            events_erased bigint NOT NULL DEFAULT 0,
            deliveries_erased bigint NOT NULL DEFAULT 0,
            profiles_erased bigint NOT NULL DEFAULT 0,
            waiting_for text,
            leased_by text,
            lease_until bigint NOT NULL DEFAULT 0,
            finished_at bigint
        );
        CREATE INDEX regulations_by_created ON regulations (created_at);
        -- The events a deletion erases (found in the log or on the subject's profiles), until it is done: its
        -- deliveries go once every consumer has read past them, so no step still holding one can record it again.
        CREATE TABLE regulation_events (
            regulation_id text NOT NULL,
            log_position bigint NOT NULL,
            message_index integer NOT NULL,
            partition integer NOT NULL,
            PRIMARY KEY (regulation_id, log_position, message_index)
        );
        -- A deletion's request to each destination, per subject (its index in subject_ids), sent and retried like a delivery.
        CREATE TABLE regulation_destinations (
            regulation_id text NOT NULL,
            destination_id text NOT NULL,
            subject_index integer NOT NULL,
            status text NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at bigint NOT NULL,
            leased_by text,
            lease_until bigint NOT NULL DEFAULT 0,
            http_status integer,
            response text,
            reason text,
            updated_at bigint NOT NULL,
            PRIMARY KEY (regulation_id, destination_id, subject_index)
        );
        CREATE INDEX regulation_destinations_due ON regulation_destinations (next_attempt_at) WHERE status IN ('INITIALIZED', 'RUNNING');
        -- Suppressed subjects by Subject.Hash: the Tracking API answers their messages but stores none. Part of the
        -- workspace (its version moves with them), so every node's list is rebuilt as its sources are.
        CREATE TABLE suppressed_subjects (
            hash text PRIMARY KEY,
            subject_type text NOT NULL,
            regulation_id text NOT NULL,
            since bigint NOT NULL
        );
        -- Retention settings saved through the Admin API (a retention: section in the workspace file wins over them).
        CREATE TABLE retention_settings (
            id integer PRIMARY KEY CHECK (id = 1),
            settings text NOT NULL,
            updated_at bigint NOT NULL,
            actor text NOT NULL
        );
        CREATE TRIGGER suppressed_changed AFTER INSERT OR UPDATE OR DELETE ON suppressed_subjects FOR EACH STATEMENT EXECUTE FUNCTION workspace_changed();
        """,
        """
        -- A claim while destinations are held (PostgresDeliveryStore.ClaimDue): every other destination's due jobs
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
        """
        -- messageIds are opaque keys, compared byte by byte as SQLite compares them. Under the database's
        -- language collation each comparison in the window's index was a strcoll, and an upgrade of the C
        -- library that changes its order can leave a unique index out of order, missing duplicates. The key
        -- leads with the messageId: a source's ids all begin with the same source, so each comparison
        -- compared two columns to tell them apart. Rebuilds the window's index (a day or two of
        -- messageIds) once, with ingest waiting for it.
        ALTER TABLE message_ids
            DROP CONSTRAINT message_ids_pkey,
            ALTER COLUMN source_id TYPE text COLLATE "C",
            ALTER COLUMN message_id TYPE text COLLATE "C",
            ADD PRIMARY KEY (message_id, source_id, day);
        """,
        """
        -- The name profiles' states keep an aggregate under, new to each registration: an aggregate no
        -- definition uses any more leaves engage_aggregates, and when it is used again its new registration
        -- is computed from the log under a name of its own. Registrations from before this have none (the
        -- name is the hash of the key, StateLayout.NameOf).
        ALTER TABLE engage_aggregates ADD COLUMN name text;
        """,
        """
        -- Each run of a connection's sync that sent something or was its first (Engage/Activation/EngageSync):
        -- the history the definition's page shows, the newest runs of each connection kept. changes: the
        -- values a first sync covered, or the changes of a later one.
        CREATE TABLE IF NOT EXISTS engage_sync_runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            connection text NOT NULL,
            at bigint NOT NULL,
            first integer NOT NULL,
            changes bigint NOT NULL,
            messages bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS engage_sync_runs_by_connection ON engage_sync_runs (connection, id);
        """,
        """
        -- Values too big to keep whole in a row (over about 2 KB: a log row of a few batched events, a
        -- delivery's request, a profile's state) compressed with lz4 instead of pglz: under /v1/batch, pglz
        -- took a tenth of the machine's CPU (BENCHMARKS.md), lz4 a fifth of that for 8 % more bytes. Days
        -- made from now on take the setting from their parent table; the days that exist get it here. Only
        -- what is written from now on is compressed the new way. PostgreSQL 13, or a server built without
        -- lz4, keeps pglz.
        DO $$
        DECLARE
            target record;
        BEGIN
            IF current_setting('server_version_num')::integer < 140000 THEN
                RETURN;
            END IF;
            FOR target IN
                SELECT c.oid::regclass AS relation, a.attname AS name
                FROM pg_class c
                JOIN pg_attribute a ON a.attrelid = c.oid
                LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
                WHERE (c.oid = 'event_log'::regclass OR i.inhparent = 'event_log'::regclass) AND a.attname = 'messages'
                    OR (c.oid = 'deliveries'::regclass OR i.inhparent = 'deliveries'::regclass) AND a.attname IN ('payload', 'response')
                    OR c.oid = 'engage_state'::regclass AND a.attname = 'state'
            LOOP
                EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET COMPRESSION lz4', target.relation, target.name);
            END LOOP;
        EXCEPTION WHEN feature_not_supported THEN
            NULL;
        END
        $$;
        """,
    ];

    /// <summary>The newest version this build knows.</summary>
    public static int Latest => Migrations.Length;

    /// <summary>
    /// Creates the schema or brings it up to <see cref="Latest"/>, each version in its own transaction
    /// under the schema lock; refuses a store whose schema is newer than this build knows.
    /// </summary>
    public static void Migrate(NpgsqlDataSource dataSource)
    {
        using var connection = dataSource.OpenConnection();
        while (true)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({SchemaLock})");
            Execute(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS {Name}; CREATE TABLE IF NOT EXISTS {Name}.schema_version (version integer NOT NULL); ");
            using var read = new NpgsqlCommand($"SELECT max(version) FROM {Name}.schema_version", connection, transaction);
            var version = read.ExecuteScalar() is int found ? found : 0;
            if (version > Latest)
            {
                throw new StoreSchemaTooNewException(version, Latest);
            }

            if (version == Latest)
            {
                transaction.Commit();
                return;
            }

            Execute(connection, transaction, $"SET LOCAL search_path TO {Name}; {Migrations[version]}");
            Execute(connection, transaction, $"INSERT INTO {Name}.schema_version (version) VALUES ({version + 1})");
            transaction.Commit();
        }
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}

/// <summary>The store was migrated by a newer Sluice: this one would misread it, so it does not start.</summary>
internal sealed class StoreSchemaTooNewException(int found, int known)
    : Exception($"the PostgreSQL store's schema is version {found}, and this Sluice knows versions up to {known}: run a Sluice at least as new as the one that migrated it (a rolling upgrade never goes back)");
