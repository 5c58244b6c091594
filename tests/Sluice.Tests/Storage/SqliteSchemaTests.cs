using System.Text;
using Microsoft.Data.Sqlite;
using Sluice.EventLog;
using Sluice.Infrastructure;
using Sluice.Storage.Sqlite;

namespace Sluice.Storage;

public sealed class SqliteSchemaTests
{
    /// <summary>A store from before the event log: its inbox rows (several users each) and the router's single cursor.</summary>
    [Fact]
    public void An_inbox_store_becomes_an_event_log_with_the_routers_place_kept_in_every_partition()
    {
        var directory = Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        Directory.CreateDirectory(directory);
        using (var old = new SqliteConnection($"Data Source={Path.Combine(directory, "sluice.db")};Pooling=False"))
        {
            old.Open();
            SqliteSchema.Migrate(old, upTo: 7);
            using var seed = old.CreateCommand();
            seed.CommandText = """
                INSERT INTO inbox (seq, source_id, received_at, message_count, messages) VALUES
                  (1, 'web', 10, 2, CAST('[{"messageId":"a","userId":"ada"},{"messageId":"b","userId":"bob"}]' AS BLOB)),
                  (2, 'web', 20, 1, CAST('[{"messageId":"c","userId":"cy"}]' AS BLOB)),
                  (3, 'web', 30, 1, CAST('[{"messageId":"d","userId":"ada"}]' AS BLOB));
                INSERT INTO router_cursor (name, seq) VALUES ('router', 2);
                INSERT INTO deliveries (destination_id, message_id, inbox_seq, message_index, status, next_attempt_at, created_at, updated_at)
                  VALUES ('hook', 'a', 1, 0, 'delivered', 0, 10, 10);
                """;
            seed.ExecuteNonQuery();
        }

        var database = new SqliteDatabase(directory, SqliteDurability.Normal);
        using var log = new SqliteEventLog(database);
        var cursors = new SqliteConsumerCursors(database).Read("router");
        var rows = log.ReadFrom(0, 10, null);

        Assert.Equal([1L, 2L, 3L], rows.Select(r => r.Position));
        Assert.All(rows, r => Assert.Equal(0, r.Partition));
        Assert.Equal(["a", "b", "c", "d"], EventLogContract.MessageIds(rows));
        Assert.Equal(log.PartitionCount, cursors.Count);
        Assert.All(cursors.Values, position => Assert.Equal(2, position));
        Assert.Equal("d", Encoding.UTF8.GetString(log.ReadNewest("web", 1, null, 1_000).Messages[0]).Split('"')[3]);
        Assert.Single(new SqliteDeliveryStore(database).List("hook", null, 10));

        // New appends never reuse a position, whatever the migrated rows were.
        log.Append([new EventBatch("web", [EventLogContract.Event("e", "ada", log.PartitionCount)], 40)], 40, 0);
        Assert.Equal(4, log.Head());
    }
}
