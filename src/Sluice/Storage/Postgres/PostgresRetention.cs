using Npgsql;

namespace Sluice.Storage.Postgres;

/// <summary>
/// Retention by day on PostgreSQL: a day's partition is dropped whole, so old rows leave without a
/// DELETE (no dead rows for VACUUM, no long write lock). One node at a time: the work runs under
/// the schema lock, taken with <c>pg_try_advisory_xact_lock</c> so that other nodes skip instead of queueing.
/// </summary>
internal static class PostgresRetention
{
    /// <summary>Drops the partitions of <paramref name="table"/> for days before <paramref name="day"/>; returns about how many rows they held (the planner's count), or 0 when another node holds the lock.</summary>
    public static long DropDaysBefore(PostgresDatabase database, DayTable table, int day)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        if (!TryLockSchema(connection, transaction))
        {
            return 0;
        }

        var dropped = 0L;
        foreach (var (name, rows) in Days(connection, transaction, table))
        {
            if (table.DayOf(name) is { } partitionDay && partitionDay < day)
            {
                using var drop = new NpgsqlCommand($"DROP TABLE {name}", connection, transaction);
                drop.ExecuteNonQuery();
                dropped += Math.Max(rows, 0);
            }
        }

        transaction.Commit();
        return dropped;
    }

    /// <summary>Takes the schema lock for the transaction if no other node holds it: false means another node is at it, so skip.</summary>
    public static bool TryLockSchema(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        using var tryLock = new NpgsqlCommand($"SELECT pg_try_advisory_xact_lock({PostgresSchema.SchemaLock})", connection, transaction);
        return tryLock.ExecuteScalar() is true;
    }

    /// <summary>The partitions of <paramref name="table"/> with the planner's row count (-1 before the first ANALYZE).</summary>
    public static List<(string Name, long Rows)> Days(NpgsqlConnection connection, NpgsqlTransaction? transaction, DayTable table)
    {
        using var command = new NpgsqlCommand("""
            SELECT c.relname, c.reltuples::bigint FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class parent ON parent.oid = i.inhparent
            JOIN pg_namespace n ON n.oid = parent.relnamespace
            WHERE n.nspname = $1 AND parent.relname = $2
            ORDER BY c.relname
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PostgresSchema.Name });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.Name });
        using var reader = command.ExecuteReader();
        var days = new List<(string, long)>();
        while (reader.Read())
        {
            days.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return days;
    }
}
