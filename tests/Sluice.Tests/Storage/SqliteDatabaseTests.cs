using Sluice.Infrastructure;
using Sluice.Storage.Sqlite;

namespace Sluice.Storage;

/// <summary>The connections the embedded store hands out carry its durability, however the pool reuses them.</summary>
public sealed class SqliteDatabaseTests
{
    [Fact]
    public void A_pooled_connection_carries_the_durability_of_the_store_that_opened_it_each_time()
    {
        var directory = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        var full = new SqliteDatabase(directory, SqliteDurability.Full);
        var normal = new SqliteDatabase(directory, SqliteDurability.Normal);

        // One connection at a time, so the pool hands the same handle to both stores in turn.
        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(2L, Synchronous(full));
            Assert.Equal(1L, Synchronous(normal));
        }
    }

    [Fact]
    public void A_reused_connection_keeps_the_pragmas_set_when_it_was_new()
    {
        var database = new SqliteDatabase(Path.Combine(TestPaths.NewTemporaryDirectory(), "data"), SqliteDurability.Full);
        for (var round = 0; round < 3; round++)
        {
            using var connection = database.Open();
            Assert.Equal(("wal", 2L, 30_000L, 1L, 2L, (long)SqliteDatabase.CheckpointPages), (Pragma<string>(connection, "journal_mode"), Pragma<long>(connection, "synchronous"), Pragma<long>(connection, "busy_timeout"), Pragma<long>(connection, "foreign_keys"), Pragma<long>(connection, "secure_delete"), Pragma<long>(connection, "wal_autocheckpoint")));
        }
    }

    [Fact]
    public void A_connection_a_profiles_step_used_without_its_own_fsync_is_handed_out_again_with_the_stores_durability()
    {
        var database = new SqliteDatabase(Path.Combine(TestPaths.NewTemporaryDirectory(), "data"), SqliteDurability.Full);
        var profiles = new Profiles.Store.SqliteProfileStore(database);

        var during = 0L;
        profiles.RunStep(_ =>
        {
            // The step's own connection is the one handle in the pool while it runs: a second is opened here.
            during = Synchronous(database);
            return [];
        }, []);

        Assert.Equal(2L, during);
        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(2L, Synchronous(database));
        }
    }

    private static long Synchronous(SqliteDatabase database)
    {
        using var connection = database.Open();
        return Pragma<long>(connection, "synchronous");
    }

    private static T Pragma<T>(Microsoft.Data.Sqlite.SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return (T)command.ExecuteScalar()!;
    }
}
