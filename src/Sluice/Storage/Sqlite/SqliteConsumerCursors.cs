using Microsoft.Data.Sqlite;
using Sluice.EventLog;

namespace Sluice.Storage.Sqlite;

/// <summary>Consumers' cursors on SQLite; <see cref="Advance"/> is the fenced move every consumer's store runs inside its own transaction.</summary>
internal sealed class SqliteConsumerCursors(SqliteDatabase database) : IConsumerCursors
{
    public void Register(string consumer, ConsumerStart start)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO consumer_cursors (consumer, partition, position)
            -- "WHERE true": SQLite needs a WHERE between INSERT … SELECT and ON CONFLICT to parse the upsert.
            SELECT $consumer, partition, CASE WHEN $now THEN (SELECT COALESCE(MAX(position), 0) FROM event_log) ELSE 0 END FROM partition_leases WHERE true
            ON CONFLICT (consumer, partition) DO NOTHING
            """;
        command.Parameters.AddWithValue("$consumer", consumer);
        command.Parameters.AddWithValue("$now", start == ConsumerStart.Now);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// A consumer whose output is in the profile store's file keeps its cursors there (<see cref="ProfilesFile"/>):
    /// those count, where they exist; <c>sluice.db</c>'s, moved behind them now and then, stand for the rest.
    /// <c>sluice.db</c>'s copy is first brought up to them: the runner takes what this returns as saved there,
    /// and moves only what it holds behind its reads (a copy left behind by a kill would otherwise stay behind
    /// for good where no row comes after it, and hold retention, a deletion and the lag it shows).
    /// </summary>
    public IReadOnlyDictionary<int, long> Read(string consumer)
    {
        using var connection = database.OpenProfiles();
        using (var catchUp = connection.CreateCommand())
        {
            catchUp.CommandText = $"""
                UPDATE {ProfilesFile.StoreSchema}.consumer_cursors AS c SET position = p.position
                FROM main.consumer_cursors AS p
                WHERE c.consumer = $consumer AND p.consumer = c.consumer AND p.partition = c.partition AND p.position > c.position
                """;
            catchUp.Parameters.AddWithValue("$consumer", consumer);
            catchUp.ExecuteNonQuery();
        }

        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT c.partition, COALESCE(p.position, c.position) FROM {ProfilesFile.StoreSchema}.consumer_cursors c
            LEFT JOIN main.consumer_cursors p ON p.consumer = c.consumer AND p.partition = c.partition
            WHERE c.consumer = $consumer
            """;
        command.Parameters.AddWithValue("$consumer", consumer);
        using var reader = command.ExecuteReader();
        var cursors = new Dictionary<int, long>();
        while (reader.Read())
        {
            cursors[reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return cursors;
    }

    public void Commit(IReadOnlyList<CursorAdvance> advances)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        Advance(connection, transaction, advances);
        transaction.Commit();
    }

    /// <summary>
    /// Moves the cursors inside the caller's transaction, each only while its partition's lease still
    /// has the advance's owner and epoch. SQLite runs one write transaction at a time, so the check and
    /// the move cannot be separated by another node's claim. Throws <see cref="LeaseLostException"/>;
    /// the caller's transaction is then rolled back with its output.
    /// </summary>
    public void ConfirmHeld(IReadOnlyList<CursorAdvance> advances)
    {
        using var connection = database.Open();
        using var held = connection.CreateCommand();
        held.CommandText = "SELECT 1 FROM partition_leases WHERE partition = $partition AND owner = $owner AND epoch = $epoch";
        var partition = held.Parameters.Add("$partition", SqliteType.Integer);
        var owner = held.Parameters.Add("$owner", SqliteType.Text);
        var epoch = held.Parameters.Add("$epoch", SqliteType.Integer);
        foreach (var advance in advances)
        {
            (partition.Value, owner.Value, epoch.Value) = (advance.Partition, advance.Owner, advance.Epoch);
            if (held.ExecuteScalar() is null)
            {
                throw new LeaseLostException(advance.Partition);
            }
        }
    }

    public static void Advance(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<CursorAdvance> advances) =>
        Advance(connection, transaction, advances, """
            UPDATE consumer_cursors SET position = $position
            WHERE consumer = $consumer AND partition = $partition
              AND EXISTS (SELECT 1 FROM partition_leases WHERE partition = $partition AND owner = $owner AND epoch = $epoch)
            """);

    /// <summary>
    /// Runs <paramref name="move"/> (parameters <c>$consumer</c>, <c>$partition</c>, <c>$position</c>, <c>$owner</c>,
    /// <c>$epoch</c>) for each advance; one that changes no row means the lease moved on.
    /// </summary>
    internal static void Advance(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<CursorAdvance> advances, string move)
    {
        if (advances.Count == 0)
        {
            return;
        }

        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = move;
        var consumer = command.Parameters.Add("$consumer", SqliteType.Text);
        var partition = command.Parameters.Add("$partition", SqliteType.Integer);
        var position = command.Parameters.Add("$position", SqliteType.Integer);
        var owner = command.Parameters.Add("$owner", SqliteType.Text);
        var epoch = command.Parameters.Add("$epoch", SqliteType.Integer);
        foreach (var advance in advances)
        {
            consumer.Value = advance.Consumer;
            partition.Value = advance.Partition;
            position.Value = advance.Position;
            owner.Value = advance.Owner;
            epoch.Value = advance.Epoch;
            if (command.ExecuteNonQuery() == 0)
            {
                throw new LeaseLostException(advance.Partition);
            }
        }
    }
}
