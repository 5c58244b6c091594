using Microsoft.Data.Sqlite;
using Sluice.EventLog;
using Sluice.Infrastructure;
using Sluice.Profiles;
using Sluice.Storage.Sqlite;

namespace Sluice.Storage;

public sealed class ProfilesFileTests
{
    [Fact]
    public void A_new_store_keeps_the_profile_tables_in_profiles_db_and_none_of_them_in_sluice_db()
    {
        var database = new SqliteDatabase(Path.Combine(TestPaths.NewTemporaryDirectory(), "data"), SqliteDurability.Normal);

        using var profiles = database.OpenProfiles();
        Assert.Equal([.. ProfilesFile.Tables.Order(StringComparer.Ordinal)], TablesOf(profiles, "main").Intersect(ProfilesFile.Tables).Order(StringComparer.Ordinal));
        Assert.Empty(TablesOf(profiles, ProfilesFile.StoreSchema).Intersect(ProfilesFile.Tables));
        Assert.Contains("consumer_cursors", TablesOf(profiles, "main"));
    }

    [Fact]
    public void A_new_profiles_file_has_16_KB_pages_and_one_made_before_keeps_its_own_with_the_same_bytes_of_log_before_a_checkpoint()
    {
        var database = new SqliteDatabase(Path.Combine(TestPaths.NewTemporaryDirectory(), "data"), SqliteDurability.Normal);
        using (var profiles = database.OpenProfiles())
        {
            Assert.Equal(16_384L, Number(profiles, "PRAGMA main.page_size"));
            Assert.Equal(4_096L, Number(profiles, $"PRAGMA {ProfilesFile.StoreSchema}.page_size"));
            Assert.Equal(4_096L, Number(profiles, "PRAGMA wal_autocheckpoint"));
        }

        var directory = OldStore();
        WriteProfilesFileWithoutSluice(directory, "PRAGMA journal_mode=WAL; CREATE TABLE made_before (x TEXT)");

        using var kept = new SqliteDatabase(directory, SqliteDurability.Normal).OpenProfiles();
        Assert.Equal(4_096L, Number(kept, "PRAGMA main.page_size"));
        Assert.Equal(16_384L, Number(kept, "PRAGMA wal_autocheckpoint"));
        Assert.Equal(["ada@example.com"], Texts(kept, "SELECT value FROM main.profile_identifiers"));
    }

    /// <summary>A store from before the profiles file: its profile rows and the profiles consumer's cursors are in sluice.db.</summary>
    [Fact]
    public void A_store_made_before_the_profiles_file_has_its_profiles_and_their_cursors_moved_into_it()
    {
        var directory = OldStore();

        var database = new SqliteDatabase(directory, SqliteDurability.Normal);

        using var profiles = database.OpenProfiles();
        Assert.Equal(["ada@example.com"], Texts(profiles, "SELECT value FROM main.profile_identifiers"));
        Assert.Equal(["true"], Texts(profiles, "SELECT value FROM main.engage_values"));
        Assert.Empty(TablesOf(profiles, ProfilesFile.StoreSchema).Intersect(ProfilesFile.Tables));
        // Moved, then given the column its registrations have had since: this one was made before (no name).
        Assert.Equal(["event('Order Completed').count() (none)"], Texts(profiles, "SELECT key || ' ' || coalesce(name, '(none)') FROM main.engage_aggregates"));
        // The index came with its table: a search by profile is served by it.
        Assert.Contains("profile_identifiers_by_profile", Texts(profiles, "SELECT name FROM main.sqlite_master WHERE type = 'index'"));
        Assert.Equal(42, new SqliteConsumerCursors(database).Read(ProfilesConsumer.ConsumerName)[3]);
        Assert.Equal(7, new SqliteConsumerCursors(database).Read("router")[3]);
    }

    [Fact]
    public void A_profiles_file_made_before_registrations_had_names_keeps_its_registrations_without_one()
    {
        var directory = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        using (var made = new SqliteDatabase(directory, SqliteDurability.Normal).OpenProfiles())
        {
            using var before = made.CreateCommand();
            before.CommandText = """
                INSERT INTO main.engage_aggregates (key, start, progress, registered_at, done_at) VALUES ('event(''Signed Up'').count()', '{}', 0, 10, 10);
                ALTER TABLE main.engage_aggregates DROP COLUMN name;
                DROP TABLE main.engage_sync_runs;
                PRAGMA main.user_version = 1;
                """;
            before.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        using var profiles = new SqliteDatabase(directory, SqliteDurability.Normal).OpenProfiles();

        Assert.Equal(ProfilesFile.Latest, Number(profiles, "PRAGMA main.user_version"));
        Assert.Equal(1L, Number(profiles, "SELECT count(*) FROM main.sqlite_master WHERE name = 'engage_sync_runs'"));
        Assert.Equal(["event('Signed Up').count() (none)"], Texts(profiles, "SELECT key || ' ' || coalesce(name, '(none)') FROM main.engage_aggregates"));
    }

    /// <summary>Killed between the copy's commit and the drop's: both files have the tables, the copy maybe not as sluice.db has it.</summary>
    [Fact]
    public void A_move_cut_short_after_its_copy_copies_again_and_keeps_each_row_once()
    {
        var directory = OldStore();
        WriteProfilesFileWithoutSluice(directory, "CREATE TABLE profile_identifiers (x TEXT); INSERT INTO profile_identifiers VALUES ('a copy from before')");

        var database = new SqliteDatabase(directory, SqliteDurability.Normal);

        using var profiles = database.OpenProfiles();
        Assert.Equal(["ada@example.com"], Texts(profiles, "SELECT value FROM main.profile_identifiers"));
        Assert.Empty(TablesOf(profiles, ProfilesFile.StoreSchema).Intersect(ProfilesFile.Tables));
    }

    /// <summary>SQLite has one writer per file: a profiles step, held open after its first write (its statements run as they are listed), leaves sluice.db's to ingest.</summary>
    [Fact]
    public void Ingest_commits_in_the_middle_of_a_profile_store_step()
    {
        var database = new SqliteDatabase(Path.Combine(TestPaths.NewTemporaryDirectory(), "data"), SqliteDurability.Normal);
        using var log = new SqliteEventLog(database);
        var store = new Profiles.Store.SqliteProfileStore(database);

        store.RunStep(_ => [new AppendBetween(database.Path, () => log.Append([new EventBatch("web", [EventLogContract.Event("m1", "ada", log.PartitionCount)], 10)], 10, 0))], []);

        Assert.Equal(1, log.Head());
    }

    [Fact]
    public void The_profiles_consumers_cursors_count_where_the_profile_store_has_them_and_sluice_dbs_copy_is_brought_up_to_them()
    {
        var database = new SqliteDatabase(Path.Combine(TestPaths.NewTemporaryDirectory(), "data"), SqliteDurability.Normal);
        var cursors = new SqliteConsumerCursors(database);
        cursors.Register(ProfilesConsumer.ConsumerName, ConsumerStart.Beginning);
        using (var store = database.Open())
        {
            SqliteDatabase.Execute(store, $"UPDATE consumer_cursors SET position = 50 WHERE consumer = '{ProfilesConsumer.ConsumerName}'");
        }

        using (var profiles = database.OpenProfiles())
        {
            SqliteDatabase.Execute(profiles, $"INSERT INTO main.consumer_cursors (consumer, partition, position) VALUES ('{ProfilesConsumer.ConsumerName}', 1, 100)");
        }

        var read = cursors.Read(ProfilesConsumer.ConsumerName);
        Assert.Equal(100, read[1]);
        Assert.Equal(50, read[2]);
        // sluice.db's copy is brought up to what was read: the runner takes what it read as saved there.
        using (var store = database.Open())
        {
            Assert.Equal(["100", "50"], Texts(store, $"SELECT CAST(position AS TEXT) FROM consumer_cursors WHERE consumer = '{ProfilesConsumer.ConsumerName}' AND partition IN (1, 2) ORDER BY partition"));
        }

        Assert.Contains(ProfilesConsumer.ConsumerName, ProfilesFile.Consumers);
    }

    /// <summary>A profile store write, then something done while the step's transaction holds that write, then another write.</summary>
    private sealed record AppendBetween(string StorePath, Action Between) : WrittenChange
    {
        public override IEnumerable<(string Sql, object?[] Values)> Statements()
        {
            yield return ("INSERT INTO profile_blocked (type, value, at, actor) VALUES ($1, $2, $3, $4)", ["email", "a@example.com", 1L, "test"]);
            // A write of sluice.db that fails within a second (not the store's 30) if this step holds that file's lock.
            using (var store = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = StorePath, Pooling = false, DefaultTimeout = 1 }.ToString()))
            {
                store.Open();
                SqliteDatabase.Execute(store, "PRAGMA busy_timeout = 0; UPDATE retention_settings SET id = id");
            }

            Between();
            yield return ("DELETE FROM profile_blocked WHERE type = $1", ["email"]);
        }
    }

    /// <summary>A store at the last schema version before the profiles file, with a profile, a value and cursors in sluice.db.</summary>
    /// <summary>A registration's start: the profiles consumer's cursors then.</summary>
    private const string ProfilesStart = """{"3":42}""";

    private static string OldStore()
    {
        var directory = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        Directory.CreateDirectory(directory);
        using var old = new SqliteConnection($"Data Source={Path.Combine(directory, "sluice.db")};Pooling=False");
        old.Open();
        SqliteSchema.Migrate(old);
        using var seed = old.CreateCommand();
        seed.CommandText = $"""
            INSERT INTO profile_identifiers (type, value, profile_id, added_at, source_id, message_id) VALUES ('email', 'ada@example.com', 'prf_1', 10, 'web', 'm1');
            INSERT INTO engage_values (key, profile_id, value, changed_at) VALUES ('vip', 'prf_1', 'true', 10);
            INSERT INTO engage_aggregates (key, start, progress, registered_at, done_at) VALUES ('event(''Order Completed'').count()', '{ProfilesStart}', 0, 10, 10);
            INSERT INTO consumer_cursors (consumer, partition, position) VALUES ('{ProfilesConsumer.ConsumerName}', 3, 42), ('router', 3, 7);
            """;
        seed.ExecuteNonQuery();
        return directory;
    }

    private static List<string> TablesOf(SqliteConnection connection, string schema) =>
        Texts(connection, $"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'");

    private static List<string> Texts(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var rows = command.ExecuteReader();
        var texts = new List<string>();
        while (rows.Read())
        {
            texts.Add(rows.GetString(0));
        }

        return texts;
    }

    private static long Number(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Runs <paramref name="sql"/> on the directory's profiles.db as another program would (SQLite's defaults, 4 KB pages for a new file).</summary>
    private static void WriteProfilesFileWithoutSluice(string directory, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(directory, ProfilesFile.FileName)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
