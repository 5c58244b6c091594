using Npgsql;

namespace Sluice.Storage.Postgres;

/// <summary>Destination holds and rate budgets on PostgreSQL: two small tables every node's dispatcher shares.</summary>
internal sealed class PostgresDestinationState(PostgresDatabase database) : IDestinationState
{
    public IReadOnlyDictionary<string, DestinationHold> ReadHolds()
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT destination_id, failures, until FROM destination_holds", connection);
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
        using var command = new NpgsqlCommand("UPDATE destination_holds SET until = $1 WHERE destination_id = $2 AND failures = $3 AND until = $4", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = probeUntil });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = seen.DestinationId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = seen.Failures });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = seen.Until });
        return command.ExecuteNonQuery() == 1;
    }

    public int Hold(string destinationId, Func<int, long> until)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        // The row is made first and then locked, so that two nodes' failures both count: the second reads the first's.
        using (var make = new NpgsqlCommand("INSERT INTO destination_holds (destination_id, failures, until) VALUES ($1, 0, 0) ON CONFLICT (destination_id) DO NOTHING", connection, transaction))
        {
            make.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
            make.ExecuteNonQuery();
        }

        int failures;
        using (var read = new NpgsqlCommand("SELECT failures FROM destination_holds WHERE destination_id = $1 FOR UPDATE", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
            failures = (int)read.ExecuteScalar()! + 1;
        }

        using (var write = new NpgsqlCommand("UPDATE destination_holds SET failures = $2, until = $3 WHERE destination_id = $1", connection, transaction))
        {
            write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
            write.Parameters.Add(new NpgsqlParameter<int> { TypedValue = failures });
            write.Parameters.Add(new NpgsqlParameter<long> { TypedValue = until(failures) });
            write.ExecuteNonQuery();
        }

        transaction.Commit();
        return failures;
    }

    public int? Lift(string destinationId)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("DELETE FROM destination_holds WHERE destination_id = $1 RETURNING failures", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
        return command.ExecuteScalar() is int failures ? failures : null;
    }

    public void ProbeAgain(string destinationId, long now)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("UPDATE destination_holds SET until = $2 WHERE destination_id = $1 AND until > $2", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
        command.ExecuteNonQuery();
    }

    public long ReserveSendSlots(string destinationId, int count, long intervalMicroseconds, long nowMicroseconds)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("""
            INSERT INTO rate_budgets AS b (destination_id, next_free) VALUES ($1, $2 + $3)
            ON CONFLICT (destination_id) DO UPDATE SET next_free = GREATEST(b.next_free, $2) + $3
            RETURNING next_free - $3
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = nowMicroseconds });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = count * intervalMicroseconds });
        return (long)command.ExecuteScalar()!;
    }
}
