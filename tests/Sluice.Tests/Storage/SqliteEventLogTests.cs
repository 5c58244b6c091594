using Microsoft.Data.Sqlite;
using Sluice.EventLog;
using Sluice.Infrastructure;
using Sluice.Storage.Sqlite;

namespace Sluice.Storage;

public sealed class SqliteEventLogTests
{
    /// <summary>A group whose commit failed was answered 503 and will be sent again: none of it may ride along with the next commit.</summary>
    [Fact]
    public void A_commit_that_fails_leaves_nothing_behind_for_the_next_one()
    {
        var directory = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        var database = new SqliteDatabase(directory, SqliteDurability.Normal);
        using var log = new SqliteEventLog(database);
        using (var admin = database.Open())
        {
            SqliteDatabase.Execute(admin, "CREATE TRIGGER refuse BEFORE INSERT ON message_ids WHEN NEW.message_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
        }

        Assert.Throws<SqliteException>(() => log.Append([new EventBatch("web", [EventLogContract.Event("lost", "ada", log.PartitionCount), EventLogContract.Event("poison", "ada", log.PartitionCount)], 1)], 1, 0));
        log.Append([new EventBatch("web", [EventLogContract.Event("next", "ada", log.PartitionCount), EventLogContract.Event("lost", "ada", log.PartitionCount)], 2)], 2, 0);

        Assert.Equal(["next", "lost"], EventLogContract.MessageIds(log.ReadFrom(0, 100, null)));
    }
}
