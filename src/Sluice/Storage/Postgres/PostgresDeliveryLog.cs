using Npgsql;

namespace Sluice.Storage.Postgres;

/// <summary>The delivery log as the Admin API and /metrics read it, and its retention by day; the job queue is in PostgresDeliveryStore.cs.</summary>
internal sealed partial class PostgresDeliveryStore
{
    public IReadOnlyList<DeliveryRecord> List(string destinationId, DeliveryStatus? status, int limit)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand($"""
            SELECT id, message_id, mapping, action, status, attempts, http_status, response, reason, created_at, updated_at, next_attempt_at
            FROM deliveries WHERE destination_id = $1 {(status is null ? "" : "AND status = $3")}
            ORDER BY id DESC LIMIT $2
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        if (status is { } wanted)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = wanted.Name() });
        }

        using var reader = command.ExecuteReader();
        var records = new List<DeliveryRecord>();
        while (reader.Read())
        {
            records.Add(StoredRows.Delivery(reader));
        }

        return records;
    }

    public IReadOnlyDictionary<DeliveryStatus, long> Stats(string destinationId)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT status, COUNT(*) FROM deliveries WHERE destination_id = $1 GROUP BY status", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
        using var reader = command.ExecuteReader();
        var stats = Enum.GetValues<DeliveryStatus>().ToDictionary(s => s, _ => 0L);
        while (reader.Read())
        {
            stats[DeliveryStatusNames.ParseStatus(reader.GetString(0))] = reader.GetInt64(1);
        }

        return stats;
    }

    public IReadOnlyList<(long BucketStart, DeliveryStatus Status, long Count)> Timeline(string destinationId, long since, long bucketMilliseconds)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("""
            SELECT (updated_at / $3) * $3 AS bucket, status, COUNT(*) FROM deliveries
            WHERE destination_id = $1 AND updated_at >= $2
            GROUP BY bucket, status ORDER BY bucket
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = since });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = bucketMilliseconds });
        using var reader = command.ExecuteReader();
        var rows = new List<(long, DeliveryStatus, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), DeliveryStatusNames.ParseStatus(reader.GetString(1)), reader.GetInt64(2)));
        }

        return rows;
    }

    public IReadOnlyList<(string DestinationId, long Count, long OldestCreatedAt)> Waiting()
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT destination_id, COUNT(*), MIN(created_at) FROM deliveries WHERE status IN ('pending', 'retrying') GROUP BY destination_id", connection);
        using var reader = command.ExecuteReader();
        var waiting = new List<(string, long, long)>();
        while (reader.Read())
        {
            waiting.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return waiting;
    }

    /// <summary>
    /// Drops the days created before <paramref name="olderThan"/>'s day, each once none of its deliveries
    /// waits (a replayed one may): its failed deliveries are first copied to the newest day, to stay for
    /// replay. Whole days, without a row deleted, so <paramref name="max"/> is not needed to keep the
    /// pause short. Returns how many final records went; 0 while another node holds the schema lock.
    /// </summary>
    public int PruneFinished(long olderThan, int max, EventLog.RetentionScope? scope = null)
    {
        if (scope is { IsAll: false })
        {
            return DeleteFinished(olderThan, max, scope);
        }

        var before = PostgresDatabase.DayOf(olderThan);
        // Where kept deliveries go when no later day exists yet (maintenance creates days ahead of time).
        database.EnsureDay(DayTable.Deliveries, before);
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        if (!PostgresRetention.TryLockSchema(connection, transaction))
        {
            return 0;
        }

        var days = PostgresRetention.Days(connection, transaction, DayTable.Deliveries)
            .Select(d => (d.Name, Day: DayTable.Deliveries.DayOf(d.Name)))
            .Where(d => d.Day is not null)
            .ToList();
        var newest = days.Max(d => d.Day);
        var dropped = 0L;
        foreach (var (name, day) in days.Where(d => d.Day < before && d.Day != newest))
        {
            using var waiting = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {name} WHERE status IN ('pending', 'retrying'))", connection, transaction);
            if (waiting.ExecuteScalar() is true)
            {
                continue;
            }

            using var lockDay = new NpgsqlCommand($"LOCK TABLE {name} IN EXCLUSIVE MODE", connection, transaction);
            lockDay.ExecuteNonQuery();
            using var keep = new NpgsqlCommand($"""
                INSERT INTO deliveries (id, day, destination_id, mapping, action, message_id, log_position, message_index, status, attempts, next_attempt_at,
                                        lease_until, http_status, response, reason, payload, user_key, created_at, updated_at) OVERRIDING SYSTEM VALUE
                SELECT id, $1, destination_id, mapping, action, message_id, log_position, message_index, status, attempts, next_attempt_at, lease_until,
                       http_status, response, reason, payload, user_key, created_at, updated_at
                FROM {name} WHERE status NOT IN ('delivered', 'skipped', 'filtered')
                """, connection, transaction);
            keep.Parameters.Add(new NpgsqlParameter<int> { TypedValue = newest!.Value });
            keep.ExecuteNonQuery();
            using var count = new NpgsqlCommand($"SELECT COUNT(*) FROM {name} WHERE status IN ('delivered', 'skipped', 'filtered')", connection, transaction);
            dropped += (long)count.ExecuteScalar()!;
            using var drop = new NpgsqlCommand($"DROP TABLE {name}", connection, transaction);
            drop.ExecuteNonQuery();
        }

        transaction.Commit();
        return (int)Math.Min(dropped, int.MaxValue);
    }

    /// <summary>
    /// Per-destination retention: a day holds every destination's records, so a destination kept shorter or
    /// longer than the rest loses its old final records by DELETE, at most <paramref name="max"/> a statement.
    /// </summary>
    private int DeleteFinished(long olderThan, int max, EventLog.RetentionScope scope)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("""
            DELETE FROM deliveries WHERE id IN (
                SELECT id FROM deliveries
                WHERE status IN ('delivered', 'skipped', 'filtered') AND updated_at < $1
                  AND ($2::text IS NULL OR destination_id = $2)
                  AND NOT (destination_id = ANY($3))
                LIMIT $4)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = olderThan });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = scope.Only });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. scope.Except] });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
        return command.ExecuteNonQuery();
    }
}
