using Npgsql;
using Sluice.EventLog;

namespace Sluice.Storage.Postgres;

/// <summary>Consumers' cursors on PostgreSQL; <see cref="Advance"/> is the fenced move every consumer's store runs inside its own transaction.</summary>
internal sealed class PostgresConsumerCursors(PostgresDatabase database) : IConsumerCursors
{
    public void Register(string consumer, ConsumerStart start)
    {
        using var connection = database.Open();
        // "Now" is the log's head as a reader sees it (IEventLog.Head), read in the same statement.
        using var command = new NpgsqlCommand($"""
            INSERT INTO consumer_cursors (consumer, partition, position)
            SELECT $1, partition, CASE WHEN $2 THEN (SELECT COALESCE(MAX(position), 0) FROM event_log WHERE position < {PostgresEventLog.ReadableBound}) ELSE 0 END
            FROM partition_leases
            ON CONFLICT (consumer, partition) DO NOTHING
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = start == ConsumerStart.Now });
        command.ExecuteNonQuery();
    }

    public IReadOnlyDictionary<int, long> Read(string consumer)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT partition, position FROM consumer_cursors WHERE consumer = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
        using var reader = command.ExecuteReader();
        var cursors = new Dictionary<int, long>();
        while (reader.Read())
        {
            cursors[reader.GetInt16(0)] = reader.GetInt64(1);
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
    /// has the advance's owner and epoch. The lease rows are read <c>FOR SHARE</c>: a claim under way
    /// makes this wait and then find the new epoch, and a claim that comes later waits for this commit
    /// (its <c>SKIP LOCKED</c> passes the row over), so an old owner's commit can never land after a
    /// new owner's claim. Throws <see cref="LeaseLostException"/>; the caller's transaction is then
    /// rolled back with its output.
    /// </summary>
    public void ConfirmHeld(IReadOnlyList<CursorAdvance> advances)
    {
        using var connection = database.Open();
        using var held = new NpgsqlCommand("""
            SELECT a.partition FROM unnest($1::smallint[], $2::text[], $3::bigint[]) AS a (partition, owner, epoch)
            WHERE NOT EXISTS (SELECT 1 FROM partition_leases l WHERE l.partition = a.partition AND l.owner = a.owner AND l.epoch = a.epoch)
            LIMIT 1
            """, connection);
        held.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. advances.Select(a => (short)a.Partition)] });
        held.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. advances.Select(a => a.Owner)] });
        held.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. advances.Select(a => a.Epoch)] });
        if (held.ExecuteScalar() is short lost)
        {
            throw new LeaseLostException(lost);
        }
    }

    public static void Advance(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<CursorAdvance> advances)
    {
        if (advances.Count == 0)
        {
            return;
        }

        var consumers = new string[advances.Count];
        var partitions = new short[advances.Count];
        var positions = new long[advances.Count];
        var owners = new string[advances.Count];
        var epochs = new long[advances.Count];
        for (var i = 0; i < advances.Count; i++)
        {
            (consumers[i], partitions[i], positions[i], owners[i], epochs[i]) = (advances[i].Consumer, (short)advances[i].Partition, advances[i].Position, advances[i].Owner, advances[i].Epoch);
        }

        using var move = new NpgsqlCommand("""
            WITH advance AS (
                SELECT * FROM unnest($1::text[], $2::smallint[], $3::bigint[], $4::text[], $5::bigint[]) AS a (consumer, partition, position, owner, epoch)),
            held AS (
                SELECT l.partition FROM partition_leases l JOIN advance a ON l.partition = a.partition AND l.owner = a.owner AND l.epoch = a.epoch
                ORDER BY l.partition
                FOR SHARE OF l)
            UPDATE consumer_cursors c SET position = a.position
            FROM advance a
            WHERE c.consumer = a.consumer AND c.partition = a.partition AND a.partition IN (SELECT partition FROM held)
            RETURNING c.consumer, c.partition
            """, connection, transaction);
        move.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = consumers });
        move.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = partitions });
        move.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = positions });
        move.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = owners });
        move.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = epochs });
        var moved = new HashSet<(string, int)>();
        using (var reader = move.ExecuteReader())
        {
            while (reader.Read())
            {
                moved.Add((reader.GetString(0), reader.GetInt16(1)));
            }
        }

        foreach (var advance in advances)
        {
            if (!moved.Contains((advance.Consumer, advance.Partition)))
            {
                throw new LeaseLostException(advance.Partition);
            }
        }
    }
}
