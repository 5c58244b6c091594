using Npgsql;
using Sluice.EventLog;
using Sluice.Infrastructure;

namespace Sluice.Storage.Postgres;

/// <summary>The PostgreSQL schema is created and migrated by whichever nodes start, together or not, and a newer one is refused.</summary>
public sealed class PostgresSchemaTests
{
    /// <summary>The schema version that made the messageId window bytewise: the test below goes back to the one before it.</summary>
    private const int MessageIdsBytewise = 12;

    /// <summary>The schema version that compresses big values with lz4.</summary>
    private const int Lz4 = 15;

    private const long Day = 86_400_000;

    [Fact]
    public async Task Nodes_starting_together_on_an_empty_database_apply_each_version_once()
    {
        var connection = PostgresServer.NewDatabase();

        var nodes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => new PostgresDatabase(connection))));

        using var check = new NpgsqlConnection(connection);
        check.Open();
        using var versions = new NpgsqlCommand("SELECT array_agg(version ORDER BY version) FROM sluice.schema_version", check);
        Assert.Equal(Enumerable.Range(1, PostgresSchema.Latest), (int[])versions.ExecuteScalar()!);
        foreach (var node in nodes)
        {
            node.Dispose();
        }
    }

    [Fact]
    public void MessageIds_remembered_before_the_window_became_bytewise_are_still_duplicates_after_it()
    {
        var connection = PostgresServer.NewDatabase();
        using (var before = new PostgresDatabase(connection))
        {
            new PostgresEventLog(before).Append([new EventBatch("web", [EventLogContract.Event("Ä-1", "ada", 64), EventLogContract.Event("a-2", "bob", 64)], 1_000)], 1_000, 0);
        }

        // Back to the version before: the window under the database's own collation, keyed by source first, holding those
        // messageIds; and without the versions after it.
        Execute(connection, $"""
            ALTER TABLE sluice.message_ids DROP CONSTRAINT message_ids_pkey,
                ALTER COLUMN source_id TYPE text COLLATE "default", ALTER COLUMN message_id TYPE text COLLATE "default",
                ADD PRIMARY KEY (source_id, message_id, day);
            ALTER TABLE sluice.engage_aggregates DROP COLUMN name;
            DROP TABLE sluice.engage_sync_runs;
            DELETE FROM sluice.schema_version WHERE version >= {MessageIdsBytewise}
            """);

        using var after = new PostgresDatabase(connection);
        var again = EventLogContract.Event("Ä-1", "ada", 64);
        var upperCase = EventLogContract.Event("A-2", "bob", 64);
        new PostgresEventLog(after).Append([new EventBatch("web", [again, upperCase], 2_000)], 2_000, 0);

        Assert.True(again.IsDuplicate);
        Assert.False(upperCase.IsDuplicate);
        using var check = new NpgsqlConnection(connection);
        check.Open();
        using var collations = new NpgsqlCommand("SELECT array_agg(DISTINCT collation_name) FROM information_schema.columns WHERE table_schema = 'sluice' AND table_name LIKE 'message_ids%' AND column_name IN ('source_id', 'message_id')", check);
        Assert.Equal(["C"], (string[])collations.ExecuteScalar()!);
    }

    [Fact]
    public void Log_rows_too_big_for_a_row_are_compressed_with_lz4_in_days_made_before_the_migration_and_after_it()
    {
        var connection = PostgresServer.NewDatabase();
        using (var before = new PostgresDatabase(connection))
        {
            // Back to the version before: every column with PostgreSQL's default compression (pglz), and a day
            // of the log made then.
            Execute(connection, $$"""
                DO $$
                DECLARE target record;
                BEGIN
                    FOR target IN SELECT attrelid::regclass AS relation, attname AS name FROM pg_attribute WHERE attcompression = 'l' LOOP
                        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET COMPRESSION default', target.relation, target.name);
                    END LOOP;
                END
                $$;
                DELETE FROM sluice.schema_version WHERE version >= {{Lz4}};
                """);
            new PostgresEventLog(before).Append([new EventBatch("web", [BigEvent("day-1", "ada")], Day)], Day, 0);
        }

        Assert.Equal(["pglz"], Compressions(connection));

        using (var after = new PostgresDatabase(connection))
        {
            var log = new PostgresEventLog(after);
            // One more row in the day made before the migration, and a row in a day made after it.
            log.Append([new EventBatch("web", [BigEvent("day-1-again", "bob")], Day + 1_000)], Day + 1_000, 0);
            log.Append([new EventBatch("web", [BigEvent("day-3", "cyd")], 3 * Day)], 3 * Day, 0);
            EventLogContract.Settle(log, 3);
            Assert.Equal(["day-1", "day-1-again", "day-3"], EventLogContract.MessageIds(log.ReadFrom(0, 100, null)).Order(StringComparer.Ordinal));
        }

        // What was compressed before stays as it was; what was written after is lz4 in both days.
        Assert.Equal(["lz4", "lz4", "pglz"], Compressions(connection));
    }

    /// <summary>An event of about 20 KB (a property of repeated text): its log row is compressed.</summary>
    private static PendingEvent BigEvent(string messageId, string user) =>
        new(messageId, checkDuplicate: true, "track", System.Text.Encoding.UTF8.GetBytes($$$"""{"messageId":"{{{messageId}}}","userId":"{{{user}}}","type":"track","event":"E","properties":{"notes":"{{{string.Concat(Enumerable.Repeat("a repeated note, ", 1_200))}}}"}}"""), EventPartitions.Of("web", user, 64));

    /// <summary>How each stored log row's messages are compressed, sorted by method name.</summary>
    private static string[] Compressions(string connection)
    {
        using var open = new NpgsqlConnection(connection);
        open.Open();
        using var command = new NpgsqlCommand("SELECT array_agg(pg_column_compression(messages) ORDER BY pg_column_compression(messages)) FROM sluice.event_log", open);
        return (string[])command.ExecuteScalar()!;
    }

    [Fact]
    public void A_store_migrated_by_a_newer_Sluice_is_refused_naming_both_versions()
    {
        var connection = PostgresServer.NewDatabase();
        new PostgresDatabase(connection).Dispose();
        using (var newer = new NpgsqlConnection(connection))
        {
            newer.Open();
            using var bump = new NpgsqlCommand($"INSERT INTO sluice.schema_version (version) VALUES ({PostgresSchema.Latest + 5})", newer);
            bump.ExecuteNonQuery();
        }

        var refused = Assert.Throws<StoreSchemaTooNewException>(() => new PostgresDatabase(connection));

        Assert.Contains($"version {PostgresSchema.Latest + 5}", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"up to {PostgresSchema.Latest}", refused.Message, StringComparison.Ordinal);
    }

    private static void Execute(string connection, string sql)
    {
        using var open = new NpgsqlConnection(connection);
        open.Open();
        using var command = new NpgsqlCommand(sql, open);
        command.ExecuteNonQuery();
    }
}
