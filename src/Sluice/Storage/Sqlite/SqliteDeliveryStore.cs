using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sluice.Storage.Sqlite;

/// <summary>
/// Delivery jobs on SQLite: recorded by the router, claimed with leases, attempts written back, replayed.
/// The delivery log's reads are in SqliteDeliveryLog.cs. Each call opens a pooled connection: the router
/// and the dispatcher run on their own threads.
/// </summary>
internal sealed partial class SqliteDeliveryStore : IDeliveryStore
{
    private readonly SqliteDatabase database;

    public SqliteDeliveryStore(SqliteDatabase database)
    {
        this.database = database;

        // One process owns an SQLite file, so leases left at start-up belong to a process that died
        // (kill -9, power loss): its jobs are due again now, not when their lease would have ended.
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, "UPDATE deliveries SET lease_until = 0 WHERE lease_until > 0");
    }

    public void RecordRouted(IReadOnlyList<NewDelivery> deliveries, IReadOnlyList<EventLog.CursorAdvance> advances, long now)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        // Through SQLite's own API, as the ingest writer's statements: a row per event and destination, and
        // a command would bind its fifteen parameters by name at every row. ?N is the parameter's index.
        using (var insert = new SqliteStatement(connection, """
            INSERT INTO deliveries (destination_id, mapping, action, message_id, log_position, message_index, status, reason, payload, user_key,
                attempts, http_status, response, next_attempt_at, created_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, COALESCE(?14, ?15), ?15, ?15)
            """))
        {
            insert.Bind(15, now);
            foreach (var delivery in deliveries)
            {
                var attempt = delivery.FirstAttempt;
                insert.Bind(1, delivery.DestinationId);
                insert.Bind(2, delivery.Mapping);
                insert.Bind(3, delivery.Action);
                insert.Bind(4, delivery.MessageId);
                insert.Bind(5, delivery.LogPosition);
                insert.Bind(6, delivery.MessageIndex);
                insert.Bind(7, Name(delivery.Status));
                insert.Bind(8, StoredText.Keepable(delivery.Reason));
                insert.Bind(9, (object?)delivery.Payload);
                insert.Bind(10, delivery.UserKey);
                insert.Bind(11, attempt is null ? 0L : 1L);
                insert.Bind(12, attempt?.HttpStatus);
                insert.Bind(13, StoredText.Keepable(attempt?.Response));
                insert.Bind(14, attempt?.NextAttemptAt);
                insert.Execute();
            }
        }

        SqliteConsumerCursors.Advance(connection, transaction, advances);
        transaction.Commit();
    }

    // A job of an ordered destination waits while an earlier one of its user does.
    private const string NoEarlierOfItsUser = """
        (user_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM deliveries earlier
            WHERE earlier.destination_id = deliveries.destination_id AND earlier.user_key = deliveries.user_key
              AND earlier.status IN ('pending', 'retrying')
              AND (earlier.log_position, earlier.message_index, earlier.id) < (deliveries.log_position, deliveries.message_index, deliveries.id)))
        """;

    /// <summary>The claimer is not needed: one process uses the file, and leases left by a dead one were reset at start.</summary>
    public IReadOnlyList<ClaimedDelivery> ClaimDue(long now, long leaseUntil, int max, IReadOnlyCollection<string> heldDestinations, DeliveryClaimer? claimer = null)
    {
        using var connection = database.Open();
        if (heldDestinations.Count > 0)
        {
            return ClaimDueBesideHeld(connection, now, leaseUntil, max, heldDestinations);
        }

        using var command = connection.CreateCommand();
        command.CommandText = $"""
            UPDATE deliveries SET lease_until = $lease
            WHERE id IN (
                SELECT id FROM deliveries
                WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $now AND lease_until <= $now
                  AND {NoEarlierOfItsUser}
                ORDER BY next_attempt_at LIMIT $max)
            RETURNING {ClaimedColumns}
            """;
        command.Parameters.AddWithValue("$lease", leaseUntil);
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$max", max);
        return ReadClaimed(command);
    }

    /// <summary>
    /// A claim while some destinations are held: the due index in time order would walk a held
    /// destination's whole backlog on every claim (a million rows after a long outage), with the store's
    /// write lock held, so each other destination's due jobs are read from its own part of
    /// deliveries_due_by_destination instead, and the earliest of them leased.
    /// </summary>
    private static List<ClaimedDelivery> ClaimDueBesideHeld(SqliteConnection connection, long now, long leaseUntil, int max, IReadOnlyCollection<string> held)
    {
        using var transaction = connection.BeginTransaction();
        var candidates = new List<(long Due, long Id)>();
        using (var destinations = connection.CreateCommand())
        using (var due = connection.CreateCommand())
        {
            // The destinations with jobs waiting, one index seek each.
            destinations.Transaction = transaction;
            destinations.CommandText = """
                WITH RECURSIVE waiting(destination_id) AS (
                    SELECT MIN(destination_id) FROM deliveries WHERE status IN ('pending', 'retrying')
                    UNION ALL
                    SELECT (SELECT MIN(destination_id) FROM deliveries WHERE status IN ('pending', 'retrying') AND destination_id > waiting.destination_id)
                    FROM waiting WHERE waiting.destination_id IS NOT NULL)
                SELECT destination_id FROM waiting WHERE destination_id IS NOT NULL
                """;
            var waiting = new List<string>();
            using (var reader = destinations.ExecuteReader())
            {
                while (reader.Read())
                {
                    waiting.Add(reader.GetString(0));
                }
            }

            due.Transaction = transaction;
            due.CommandText = $"""
                SELECT next_attempt_at, id FROM deliveries INDEXED BY deliveries_due_by_destination
                WHERE destination_id = $destination AND status IN ('pending', 'retrying') AND next_attempt_at <= $now AND lease_until <= $now
                  AND {NoEarlierOfItsUser}
                ORDER BY next_attempt_at LIMIT $max
                """;
            var destination = due.Parameters.Add("$destination", SqliteType.Text);
            due.Parameters.AddWithValue("$now", now);
            due.Parameters.AddWithValue("$max", max);
            foreach (var id in waiting.Where(d => !held.Contains(d)))
            {
                destination.Value = id;
                using var reader = due.ExecuteReader();
                while (reader.Read())
                {
                    candidates.Add((reader.GetInt64(0), reader.GetInt64(1)));
                }
            }
        }

        if (candidates.Count == 0)
        {
            return [];
        }

        using var lease = connection.CreateCommand();
        lease.Transaction = transaction;
        lease.CommandText = $"UPDATE deliveries SET lease_until = $lease WHERE id IN (SELECT value FROM json_each($ids)) RETURNING {ClaimedColumns}";
        lease.Parameters.AddWithValue("$lease", leaseUntil);
        lease.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(candidates.Order().Take(max).Select(c => c.Id)));
        var claimed = ReadClaimed(lease);
        transaction.Commit();
        return claimed;
    }

    private const string ClaimedColumns = "id, destination_id, mapping, action, message_id, log_position, message_index, attempts, created_at, payload";

    private static List<ClaimedDelivery> ReadClaimed(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var claimed = new List<ClaimedDelivery>();
        while (reader.Read())
        {
            claimed.Add(StoredRows.Claimed(reader));
        }

        return claimed;
    }

    public long? NextDueAt()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        // Answered from the partial index on next_attempt_at; a leased job found due early costs one empty claim.
        command.CommandText = "SELECT MIN(next_attempt_at) FROM deliveries WHERE status IN ('pending', 'retrying')";
        return command.ExecuteScalar() is long due ? due : null;
    }

    public void RecordAttempts(IReadOnlyList<(long Id, AttemptResult Result)> attempts, long now)
    {
        if (attempts.Count == 0)
        {
            return;
        }

        // A claim's outcomes are mostly alike (delivered, 200, the same short answer): one statement for
        // each distinct outcome, its deliveries' ids as one JSON array, in one transaction; an outcome of
        // one delivery goes by its id, which is cheaper than json_each for one (measured: decisions.md).
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using var several = OutcomeCommand(connection, transaction, "id IN (SELECT value FROM json_each($ids))", SqliteType.Text, now);
        using var one = OutcomeCommand(connection, transaction, "id = $ids", SqliteType.Integer, now);
        foreach (var alike in attempts.GroupBy(a => a.Result, a => a.Id))
        {
            var ids = alike.ToList();
            var command = ids.Count == 1 ? one : several;
            var result = alike.Key;
            command.Parameters[0].Value = Name(result.Status);
            command.Parameters[1].Value = (object?)result.HttpStatus ?? DBNull.Value;
            command.Parameters[2].Value = (object?)StoredText.Keepable(result.Response) ?? DBNull.Value;
            command.Parameters[3].Value = (object?)StoredText.Keepable(result.Reason) ?? DBNull.Value;
            command.Parameters[4].Value = (object?)result.NextAttemptAt ?? DBNull.Value;
            command.Parameters[5].Value = ids.Count == 1 ? ids[0] : "[" + string.Join(',', ids) + "]";
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>The outcome's update of the deliveries <paramref name="which"/> picks; its parameters in order: status, http, response, reason, next, ids.</summary>
    private static SqliteCommand OutcomeCommand(SqliteConnection connection, SqliteTransaction transaction, string which, SqliteType ids, long now)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            UPDATE deliveries SET status = $status, attempts = attempts + 1, http_status = $http, response = $response, reason = $reason,
                next_attempt_at = COALESCE($next, next_attempt_at), lease_until = 0, updated_at = $now
            WHERE {which}
            """;
        command.Parameters.Add("$status", SqliteType.Text);
        command.Parameters.Add("$http", SqliteType.Integer);
        command.Parameters.Add("$response", SqliteType.Text);
        command.Parameters.Add("$reason", SqliteType.Text);
        command.Parameters.Add("$next", SqliteType.Integer);
        command.Parameters.Add("$ids", ids);
        command.Parameters.AddWithValue("$now", now);
        return command;
    }

    public void Release(IReadOnlyList<long> ids)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE deliveries SET lease_until = 0 WHERE id = $id";
        var id = command.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Integer);
        foreach (var each in ids)
        {
            id.Value = each;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public int ResumeRetries(string destinationId, long now)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE deliveries SET next_attempt_at = $now WHERE destination_id = $destination AND status = 'retrying' AND next_attempt_at > $now";
        command.Parameters.AddWithValue("$destination", destinationId);
        command.Parameters.AddWithValue("$now", now);
        return command.ExecuteNonQuery();
    }

    public IReadOnlyDictionary<long, int> WaitingBehind(IReadOnlyCollection<long> ids)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT d.id, (SELECT COUNT(*) FROM deliveries later
                          WHERE later.destination_id = d.destination_id AND later.user_key = d.user_key AND later.status IN ('pending', 'retrying')
                            AND (later.log_position, later.message_index, later.id) > (d.log_position, d.message_index, d.id))
            FROM deliveries d WHERE d.id IN (SELECT value FROM json_each($ids)) AND d.user_key IS NOT NULL
            """;
        command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids));
        using var reader = command.ExecuteReader();
        var behind = new Dictionary<long, int>();
        while (reader.Read())
        {
            behind[reader.GetInt64(0)] = reader.GetInt32(1);
        }

        return behind;
    }

    public int Requeue(string destinationId, DeliveryStatus status, long? since, long? until, long now)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        // A replayed delivery starts a new retry window: created_at moves to now; attempts keep counting.
        command.CommandText = """
            UPDATE deliveries SET status = 'pending', next_attempt_at = $now, lease_until = 0, created_at = $now, updated_at = $now
            WHERE destination_id = $destination AND status = $status AND payload IS NOT NULL
              AND ($since IS NULL OR created_at >= $since) AND ($until IS NULL OR created_at < $until)
            """;
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$destination", destinationId);
        command.Parameters.AddWithValue("$status", Name(status));
        command.Parameters.AddWithValue("$since", (object?)since ?? DBNull.Value);
        command.Parameters.AddWithValue("$until", (object?)until ?? DBNull.Value);
        return command.ExecuteNonQuery();
    }

    private static string Name(DeliveryStatus status) => status.Name();

    private static DeliveryStatus Parse(string name) => DeliveryStatusNames.ParseStatus(name);
}
