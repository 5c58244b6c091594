namespace Sluice.Storage.Sqlite;

/// <summary>Destination holds and rate budgets on SQLite: two small tables, written only when a hold changes or a second's slots are reserved.</summary>
internal sealed class SqliteDestinationState(SqliteDatabase database) : IDestinationState
{
    public IReadOnlyDictionary<string, DestinationHold> ReadHolds()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT destination_id, failures, until FROM destination_holds";
        using var reader = command.ExecuteReader();
        var holds = new Dictionary<string, DestinationHold>(StringComparer.Ordinal);
        while (reader.Read())
        {
            holds[reader.GetString(0)] = new DestinationHold(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2));
        }

        return holds;
    }

    public bool TryStartProbe(DestinationHold seen, long probeUntil)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE destination_holds SET until = $probing WHERE destination_id = $id AND failures = $failures AND until = $until";
        command.Parameters.AddWithValue("$probing", probeUntil);
        command.Parameters.AddWithValue("$id", seen.DestinationId);
        command.Parameters.AddWithValue("$failures", seen.Failures);
        command.Parameters.AddWithValue("$until", seen.Until);
        return command.ExecuteNonQuery() == 1;
    }

    public int Hold(string destinationId, Func<int, long> until)
    {
        using var connection = database.Open();
        // BEGIN IMMEDIATE: read and write the count under the write lock, so two nodes' failures both count.
        using var transaction = connection.BeginTransaction(deferred: false);
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT failures FROM destination_holds WHERE destination_id = $id";
        read.Parameters.AddWithValue("$id", destinationId);
        var failures = (read.ExecuteScalar() is long before ? (int)before : 0) + 1;
        using var write = connection.CreateCommand();
        write.Transaction = transaction;
        write.CommandText = """
            INSERT INTO destination_holds (destination_id, failures, until) VALUES ($id, $failures, $until)
            ON CONFLICT (destination_id) DO UPDATE SET failures = excluded.failures, until = excluded.until
            """;
        write.Parameters.AddWithValue("$id", destinationId);
        write.Parameters.AddWithValue("$failures", failures);
        write.Parameters.AddWithValue("$until", until(failures));
        write.ExecuteNonQuery();
        transaction.Commit();
        return failures;
    }

    public int? Lift(string destinationId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM destination_holds WHERE destination_id = $id RETURNING failures";
        command.Parameters.AddWithValue("$id", destinationId);
        return command.ExecuteScalar() is long failures ? (int)failures : null;
    }

    public void ProbeAgain(string destinationId, long now)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE destination_holds SET until = $now WHERE destination_id = $id AND until > $now";
        command.Parameters.AddWithValue("$id", destinationId);
        command.Parameters.AddWithValue("$now", now);
        command.ExecuteNonQuery();
    }

    public long ReserveSendSlots(string destinationId, int count, long intervalMicroseconds, long nowMicroseconds)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO rate_budgets (destination_id, next_free) VALUES ($id, $now + $span)
            ON CONFLICT (destination_id) DO UPDATE SET next_free = MAX(next_free, $now) + $span
            RETURNING next_free - $span
            """;
        command.Parameters.AddWithValue("$id", destinationId);
        command.Parameters.AddWithValue("$now", nowMicroseconds);
        command.Parameters.AddWithValue("$span", count * intervalMicroseconds);
        return (long)command.ExecuteScalar()!;
    }
}
