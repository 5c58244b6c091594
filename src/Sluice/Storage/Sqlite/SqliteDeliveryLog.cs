using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sluice.Storage.Sqlite;

/// <summary>The delivery log as the Admin API and /metrics read it, and its pruning; the job queue is in SqliteDeliveryStore.cs.</summary>
internal sealed partial class SqliteDeliveryStore
{
    public IReadOnlyList<DeliveryRecord> List(string destinationId, DeliveryStatus? status, int limit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT id, message_id, mapping, action, status, attempts, http_status, response, reason, created_at, updated_at, next_attempt_at
            FROM deliveries WHERE destination_id = $destination {(status is null ? "" : "AND status = $status")}
            ORDER BY id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$destination", destinationId);
        command.Parameters.AddWithValue("$limit", limit);
        if (status is { } wanted)
        {
            command.Parameters.AddWithValue("$status", Name(wanted));
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
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT status, COUNT(*) FROM deliveries WHERE destination_id = $destination GROUP BY status";
        command.Parameters.AddWithValue("$destination", destinationId);
        using var reader = command.ExecuteReader();
        var stats = Enum.GetValues<DeliveryStatus>().ToDictionary(s => s, _ => 0L);
        while (reader.Read())
        {
            stats[Parse(reader.GetString(0))] = reader.GetInt64(1);
        }

        return stats;
    }

    public IReadOnlyList<(long BucketStart, DeliveryStatus Status, long Count)> Timeline(string destinationId, long since, long bucketMilliseconds)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (updated_at / $bucket) * $bucket AS bucket, status, COUNT(*) FROM deliveries
            WHERE destination_id = $destination AND updated_at >= $since
            GROUP BY bucket, status ORDER BY bucket
            """;
        command.Parameters.AddWithValue("$destination", destinationId);
        command.Parameters.AddWithValue("$since", since);
        command.Parameters.AddWithValue("$bucket", bucketMilliseconds);
        using var reader = command.ExecuteReader();
        var rows = new List<(long, DeliveryStatus, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), Parse(reader.GetString(1)), reader.GetInt64(2)));
        }

        return rows;
    }

    public IReadOnlyList<(string DestinationId, long Count, long OldestCreatedAt)> Waiting()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT destination_id, COUNT(*), MIN(created_at) FROM deliveries WHERE status IN ('pending', 'retrying') GROUP BY destination_id";
        using var reader = command.ExecuteReader();
        var waiting = new List<(string, long, long)>();
        while (reader.Read())
        {
            waiting.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return waiting;
    }

    public int PruneFinished(long olderThan, int max, EventLog.RetentionScope? scope = null)
    {
        scope ??= EventLog.RetentionScope.All;
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            DELETE FROM deliveries WHERE id IN (
                SELECT id FROM deliveries WHERE status IN ('delivered', 'skipped', 'filtered') AND updated_at < $before
                {(scope.Only is null ? "" : "AND destination_id = $only")}
                {(scope.Except.Count == 0 ? "" : "AND destination_id NOT IN (SELECT value FROM json_each($except))")}
                LIMIT $max)
            """;
        command.Parameters.AddWithValue("$before", olderThan);
        command.Parameters.AddWithValue("$max", max);
        command.Parameters.AddWithValue("$only", (object?)scope.Only ?? DBNull.Value);
        command.Parameters.AddWithValue("$except", System.Text.Json.JsonSerializer.Serialize(scope.Except));
        return command.ExecuteNonQuery();
    }
}
