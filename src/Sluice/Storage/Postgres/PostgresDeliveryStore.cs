using Npgsql;
using NpgsqlTypes;

namespace Sluice.Storage.Postgres;

/// <summary>
/// Delivery jobs on PostgreSQL, shared by every node's dispatcher: recorded by the router with a binary
/// COPY, claimed with <c>FOR UPDATE SKIP LOCKED</c> (nodes claiming at once take different jobs without
/// waiting), attempts written back, replayed. The delivery log's reads are in PostgresDeliveryLog.cs.
/// </summary>
internal sealed partial class PostgresDeliveryStore(PostgresDatabase database) : IDeliveryStore
{
    private const string ClaimedColumns = "id, destination_id, mapping, action, message_id, log_position, message_index, attempts, created_at, payload";

    public void RecordRouted(IReadOnlyList<NewDelivery> deliveries, IReadOnlyList<EventLog.CursorAdvance> advances, long now)
    {
        var day = PostgresDatabase.DayOf(now);
        if (deliveries.Count > 0)
        {
            database.EnsureDay(DayTable.Deliveries, day);
        }

        using var connection = database.OpenRelaxed();
        using var transaction = connection.BeginTransaction();
        if (deliveries.Count > 0)
        {
            using var importer = connection.BeginBinaryImport("""
                COPY deliveries (day, destination_id, mapping, action, message_id, log_position, message_index, status, reason, payload, user_key,
                    attempts, http_status, response, next_attempt_at, created_at, updated_at)
                FROM STDIN (FORMAT BINARY)
                """);
            foreach (var delivery in deliveries)
            {
                importer.StartRow();
                importer.Write(day, NpgsqlDbType.Integer);
                importer.Write(delivery.DestinationId, NpgsqlDbType.Text);
                WriteOrNull(importer, delivery.Mapping);
                WriteOrNull(importer, delivery.Action);
                importer.Write(delivery.MessageId, NpgsqlDbType.Text);
                importer.Write(delivery.LogPosition, NpgsqlDbType.Bigint);
                importer.Write(delivery.MessageIndex, NpgsqlDbType.Integer);
                importer.Write(delivery.Status.Name(), NpgsqlDbType.Text);
                WriteOrNull(importer, StoredText.Keepable(delivery.Reason));
                if (delivery.Payload is { } payload)
                {
                    importer.Write(payload, NpgsqlDbType.Bytea);
                }
                else
                {
                    importer.WriteNull();
                }

                WriteOrNull(importer, delivery.UserKey);
                var attempt = delivery.FirstAttempt;
                importer.Write(attempt is null ? 0 : 1, NpgsqlDbType.Integer);
                if (attempt?.HttpStatus is { } httpStatus)
                {
                    importer.Write(httpStatus, NpgsqlDbType.Integer);
                }
                else
                {
                    importer.WriteNull();
                }

                WriteOrNull(importer, StoredText.Keepable(attempt?.Response));
                importer.Write(attempt?.NextAttemptAt ?? now, NpgsqlDbType.Bigint);
                importer.Write(now, NpgsqlDbType.Bigint);
                importer.Write(now, NpgsqlDbType.Bigint);
            }

            importer.Complete();
        }

        PostgresConsumerCursors.Advance(connection, transaction, advances);
        transaction.Commit();
    }

    private static void WriteOrNull(NpgsqlBinaryImporter importer, string? value)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, NpgsqlDbType.Text);
        }
    }

    public IReadOnlyList<ClaimedDelivery> ClaimDue(long now, long leaseUntil, int max, IReadOnlyCollection<string> heldDestinations, DeliveryClaimer? claimer = null)
    {
        using var connection = database.OpenRelaxed();
        // A lease still on counts only while its claimer beats: a killed node's claim is free once the node is seen dead.
        const string Claimable = """
            status IN ('pending', 'retrying') AND next_attempt_at <= $2
              AND (lease_until <= $2 OR ($6::bigint IS NOT NULL AND claimed_by <> $5
                   AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.owner = claimed_by AND n.seen_at >= $6)))
              AND (user_key IS NULL OR NOT EXISTS (
                  SELECT 1 FROM deliveries earlier
                  WHERE earlier.destination_id = deliveries.destination_id AND earlier.user_key = deliveries.user_key
                    AND earlier.status IN ('pending', 'retrying')
                    AND (earlier.log_position, earlier.message_index, earlier.id) < (deliveries.log_position, deliveries.message_index, deliveries.id)))
            """;

        // While destinations are held, the due index in time order would walk a held destination's whole
        // backlog on every claim: each other destination's due jobs are read from its own part of
        // deliveries_due_by_destination instead (the destinations with jobs waiting, one index seek each).
        var due = heldDestinations.Count == 0
            ? $"""
                WITH due AS MATERIALIZED (
                    SELECT id, day FROM deliveries
                    WHERE {Claimable} AND destination_id <> ALL($3)
                    ORDER BY next_attempt_at LIMIT $4
                    FOR UPDATE SKIP LOCKED)
                """
            : $"""
                WITH RECURSIVE waiting(destination_id) AS (
                    (SELECT destination_id FROM deliveries WHERE status IN ('pending', 'retrying') ORDER BY destination_id LIMIT 1)
                    UNION ALL
                    SELECT (SELECT w.destination_id FROM deliveries w
                            WHERE w.status IN ('pending', 'retrying') AND w.destination_id > waiting.destination_id
                            ORDER BY w.destination_id LIMIT 1)
                    FROM waiting WHERE waiting.destination_id IS NOT NULL),
                due AS MATERIALIZED (
                    SELECT claimable.id, claimable.day FROM waiting CROSS JOIN LATERAL (
                        SELECT id, day, next_attempt_at FROM deliveries
                        WHERE destination_id = waiting.destination_id AND {Claimable}
                        ORDER BY next_attempt_at LIMIT $4
                        FOR UPDATE SKIP LOCKED) claimable
                    WHERE waiting.destination_id IS NOT NULL AND waiting.destination_id <> ALL($3)
                    ORDER BY claimable.next_attempt_at LIMIT $4)
                """;
        using var command = new NpgsqlCommand($"""
            {due}
            UPDATE deliveries d SET lease_until = $1, claimed_by = $5
            FROM due WHERE d.id = due.id AND d.day = due.day
            RETURNING {string.Join(", ", ClaimedColumns.Split(", ").Select(c => "d." + c))}
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = leaseUntil });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. heldDestinations] });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = claimer?.Node });
        command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = claimer?.NodesAliveSince });
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
        using var command = new NpgsqlCommand("SELECT MIN(next_attempt_at) FROM deliveries WHERE status IN ('pending', 'retrying')", connection);
        return command.ExecuteScalar() is long due ? due : null;
    }

    public void RecordAttempts(IReadOnlyList<(long Id, AttemptResult Result)> attempts, long now)
    {
        if (attempts.Count == 0)
        {
            return;
        }

        using var connection = database.OpenRelaxed();
        // "d.id = ANY" as well as the join: an index condition on every day's partition, where the join
        // alone let the planner scan the whole table and hash it, for every claim's outcomes.
        using var command = new NpgsqlCommand("""
            UPDATE deliveries d SET status = a.status, attempts = d.attempts + 1, http_status = a.http_status, response = a.response, reason = a.reason,
                next_attempt_at = COALESCE(a.next_attempt_at, d.next_attempt_at), lease_until = 0, updated_at = $7
            FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::bigint[]) AS a (id, status, http_status, response, reason, next_attempt_at)
            WHERE d.id = a.id AND d.id = ANY($1)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. attempts.Select(a => a.Id)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. attempts.Select(a => a.Result.Status.Name())] });
        command.Parameters.Add(new NpgsqlParameter<int?[]> { TypedValue = [.. attempts.Select(a => a.Result.HttpStatus)] });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. attempts.Select(a => StoredText.Keepable(a.Result.Response))] });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. attempts.Select(a => StoredText.Keepable(a.Result.Reason))] });
        command.Parameters.Add(new NpgsqlParameter<long?[]> { TypedValue = [.. attempts.Select(a => a.Result.NextAttemptAt)] });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
        command.ExecuteNonQuery();
    }

    public void Release(IReadOnlyList<long> ids)
    {
        if (ids.Count == 0)
        {
            return;
        }

        using var connection = database.OpenRelaxed();
        using var command = new NpgsqlCommand("UPDATE deliveries SET lease_until = 0 WHERE id = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. ids] });
        command.ExecuteNonQuery();
    }

    public int ResumeRetries(string destinationId, long now)
    {
        using var connection = database.OpenRelaxed();
        using var command = new NpgsqlCommand("UPDATE deliveries SET next_attempt_at = $2 WHERE destination_id = $1 AND status = 'retrying' AND next_attempt_at > $2", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
        return command.ExecuteNonQuery();
    }

    public IReadOnlyDictionary<long, int> WaitingBehind(IReadOnlyCollection<long> ids)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("""
            SELECT d.id, (SELECT COUNT(*) FROM deliveries later
                          WHERE later.destination_id = d.destination_id AND later.user_key = d.user_key AND later.status IN ('pending', 'retrying')
                            AND (later.log_position, later.message_index, later.id) > (d.log_position, d.message_index, d.id))
            FROM deliveries d WHERE d.id = ANY($1) AND d.user_key IS NOT NULL
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. ids] });
        using var reader = command.ExecuteReader();
        var behind = new Dictionary<long, int>();
        while (reader.Read())
        {
            behind[reader.GetInt64(0)] = (int)reader.GetInt64(1);
        }

        return behind;
    }

    public int Requeue(string destinationId, DeliveryStatus status, long? since, long? until, long now)
    {
        using var connection = database.Open();
        // A replayed delivery starts a new retry window: created_at moves to now; attempts keep counting.
        using var command = new NpgsqlCommand("""
            UPDATE deliveries SET status = 'pending', next_attempt_at = $1, lease_until = 0, created_at = $1, updated_at = $1
            WHERE destination_id = $2 AND status = $3 AND payload IS NOT NULL
              AND ($4::bigint IS NULL OR created_at >= $4) AND ($5::bigint IS NULL OR created_at < $5)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = status.Name() });
        command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = since });
        command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = until });
        return command.ExecuteNonQuery();
    }
}
