using System.Data.Common;
using System.Text.Json;
using Sluice.Profiles;
using Sluice.Profiles.Store;
using Sluice.Workspace;

namespace Sluice.Privacy.Store;

/// <summary>Statements a privacy step writes, in the transaction of the step that carries them.</summary>
internal sealed record PrivacyStatements(IReadOnlyList<(string Sql, object?[] Values)> List) : WrittenChange
{
    public override IEnumerable<(string Sql, object?[] Values)> Statements() => List;
}

/// <summary>
/// Regulations, their requests to destinations and the suppressed subjects, in the node's store. Writes go
/// through a step of the profile store (<see cref="IProfileStore.RunStep"/>): one transaction, one step at a
/// time on every node (PostgreSQL's profiles lock), which makes a claim and the erasure of a profile safe
/// against every other node's steps. The SQL is the same on both stores.
/// </summary>
internal sealed class RegulationStore(IProfileStore store)
{
    private const string Columns = "id, type, subject_type, subject_ids, subject_hashes, subject_count, created_at, actor, phase, scan_until, scanned_to, deliveries_to, events_erased, deliveries_erased, profiles_erased, waiting_for, finished_at";

    private const string RequestColumns = "regulation_id, destination_id, subject_index, status, attempts, next_attempt_at, http_status, response, reason, updated_at";

    /// <summary>Runs statements in one transaction.</summary>
    public void Write(IReadOnlyList<(string Sql, object?[] Values)> statements) =>
        store.RunStep(_ => [new PrivacyStatements(statements)], [], changesGraph: false);

    /// <summary>Reads in a step and writes what the reading decides, in its transaction (nothing else steps between).</summary>
    public T Step<T>(Func<IProfileGraphReader, (T Result, IReadOnlyList<ProfileChange> Changes)> step, bool changesGraph = false)
    {
        T result = default!;
        store.RunStep(reader =>
        {
            var (value, changes) = step(reader);
            result = value;
            return changes;
        }, [], changesGraph);
        return result;
    }

    public void Create(StoredRegulation regulation, IReadOnlyList<DestinationRequest> requests, long now)
    {
        var statements = new List<(string, object?[])>
        {
            ($"INSERT INTO regulations ({Columns}, leased_by, lease_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, 0, 0, NULL, NULLIF($13, -1), NULL, 0)", [
                regulation.Id, regulation.Type, regulation.SubjectType,
                regulation.SubjectIds is null ? null : JsonSerializer.Serialize(regulation.SubjectIds),
                JsonSerializer.Serialize(regulation.SubjectHashes), regulation.SubjectCount, regulation.CreatedAt, regulation.Actor,
                regulation.Phase, regulation.ScanUntil, regulation.ScannedTo, regulation.DeliveriesTo, regulation.FinishedAt ?? -1]),
        };
        statements.AddRange(requests.Select(r => ($"INSERT INTO regulation_destinations ({RequestColumns}) VALUES ($1, $2, $3, $4, 0, $5, NULL, NULL, $6, $7)",
            new object?[] { r.RegulationId, r.DestinationId, r.SubjectIndex, r.Status, r.NextAttemptAt, r.Reason, r.UpdatedAt })));
        if (RegulationTypes.Suppresses(regulation.Type))
        {
            statements.AddRange(regulation.SubjectHashes.Select(hash => ("INSERT INTO suppressed_subjects (hash, subject_type, regulation_id, since) VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO NOTHING",
                new object?[] { hash, regulation.SubjectType, regulation.Id, now })));
        }
        else if (regulation.Type == RegulationTypes.Unsuppress)
        {
            statements.AddRange(regulation.SubjectHashes.Select(hash => ("DELETE FROM suppressed_subjects WHERE hash = $1", new object?[] { hash })));
        }

        Write(statements);
    }

    public StoredRegulation? Find(string id) => store.Query($"SELECT {Columns} FROM regulations WHERE id = $1", ReadRegulations, id).FirstOrDefault();

    /// <summary>The newest regulations, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<StoredRegulation> List(int limit) => store.Query($"SELECT {Columns} FROM regulations ORDER BY created_at DESC, id DESC LIMIT $1", ReadRegulations, limit);

    public IReadOnlyList<DestinationRequest> RequestsOf(string regulationId) =>
        store.Query($"SELECT {RequestColumns} FROM regulation_destinations WHERE regulation_id = $1 ORDER BY destination_id, subject_index", ReadRequests, regulationId);

    /// <summary>The requests of the newest <paramref name="limit"/> regulations, in one statement.</summary>
    public IReadOnlyList<DestinationRequest> RequestsOfNewest(int limit) => store.Query($"""
        SELECT {RequestColumns} FROM regulation_destinations
        WHERE regulation_id IN (SELECT id FROM regulations ORDER BY created_at DESC, id DESC LIMIT $1)
        ORDER BY destination_id, subject_index
        """, ReadRequests, limit);

    /// <summary>
    /// The oldest regulation whose store part is not done and that no other node holds, leased to <paramref name="node"/>.
    /// A read first: every node asks every second, and a claim is a step (on PostgreSQL, the profiles lock).
    /// </summary>
    public StoredRegulation? Claim(string node, long now, long leaseUntil) => !Any("SELECT 1 FROM regulations WHERE phase <> 'done' LIMIT 1") ? null : Step<StoredRegulation?>(reader =>
    {
        var claimed = reader.Query($"""
            SELECT {Columns} FROM regulations WHERE phase <> 'done' AND (lease_until < $1 OR leased_by = $2)
            ORDER BY CASE WHEN waiting_for IS NULL THEN 0 ELSE 1 END, created_at LIMIT 1
            """, ReadRegulations, now, node).FirstOrDefault();
        IReadOnlyList<ProfileChange> lease = claimed is null ? [] : [new PrivacyStatements([("UPDATE regulations SET leased_by = $2, lease_until = $3 WHERE id = $1", [claimed.Id, node, leaseUntil])])];
        return (claimed, lease);
    });

    public void Release(string id) => Write([("UPDATE regulations SET leased_by = NULL, lease_until = 0 WHERE id = $1", [id])]);

    /// <summary>The statement that saves a regulation's progress (with what else its step writes).</summary>
    public static (string Sql, object?[] Values) Progress(StoredRegulation r) => ("""
        UPDATE regulations SET phase = $2, scanned_to = $3, deliveries_to = $4, events_erased = $5, deliveries_erased = $6, profiles_erased = $7, waiting_for = $8
        WHERE id = $1
        """, [r.Id, r.Phase, r.ScannedTo, r.DeliveriesTo, r.EventsErased, r.DeliveriesErased, r.ProfilesErased, r.WaitingFor]);

    /// <summary>
    /// The statement that counts the regulation's erased events from their record, not by adding: a slice
    /// done twice (a kill between its erasures and its progress) finds its events erased already.
    /// </summary>
    public static (string Sql, object?[] Values) CountErased(string regulationId) => (
        "UPDATE regulations SET events_erased = (SELECT COUNT(*) FROM regulation_events WHERE regulation_id = $1) WHERE id = $1", [regulationId]);

    /// <summary>The statement that remembers an erased event (its partition from the log), so later phases find its deliveries.</summary>
    public static (string Sql, object?[] Values) EventFound(string regulationId, long position, int index) => ("""
        INSERT INTO regulation_events (regulation_id, log_position, message_index, partition)
        SELECT $1, $2, $3, partition FROM event_log WHERE position = $2
        ON CONFLICT (regulation_id, log_position, message_index) DO NOTHING
        """, [regulationId, position, index]);

    public IReadOnlyList<(long Position, int Index)> EventsOf(string regulationId) => store.Query(
        "SELECT log_position, message_index FROM regulation_events WHERE regulation_id = $1 ORDER BY log_position, message_index",
        rows =>
        {
            var events = new List<(long, int)>();
            while (rows.Read())
            {
                events.Add((rows.GetInt64(0), rows.GetInt32(1)));
            }

            return events;
        },
        regulationId);

    /// <summary>
    /// The log's consumers that have not read every event the regulation erased: until they have, one may still
    /// hold it. The node store's cursors, named with their schema: on SQLite the profile store's file has
    /// cursors of its own (Storage/Sqlite/ProfilesFile), and the store's copy of those is never ahead of them.
    /// </summary>
    public IReadOnlyList<string> ConsumersBehind(string regulationId) => store.Query("""
        SELECT DISTINCT c.consumer FROM regulation_events r
        JOIN sluice.consumer_cursors c ON c.partition = r.partition AND c.position < r.log_position
        WHERE r.regulation_id = $1
        ORDER BY c.consumer
        """, ProfileSql.ReadTexts, regulationId);

    /// <summary>Deliveries after <paramref name="afterId"/> in id order (only those waiting to be sent, when <paramref name="waitingOnly"/>).</summary>
    public IReadOnlyList<(long Id, long Position, int Index)> DeliveriesAfter(long afterId, int max, bool waitingOnly) => store.Query(
        waitingOnly
            ? "SELECT id, log_position, message_index FROM deliveries WHERE id > $1 AND status IN ('pending', 'retrying') ORDER BY id LIMIT $2"
            : "SELECT id, log_position, message_index FROM deliveries WHERE id > $1 ORDER BY id LIMIT $2",
        rows =>
        {
            var deliveries = new List<(long, long, int)>();
            while (rows.Read())
            {
                deliveries.Add((rows.GetInt64(0), rows.GetInt64(1), rows.GetInt32(2)));
            }

            return deliveries;
        },
        afterId, max);

    /// <summary>Ends the store's part: the erased events' list goes; the ids go too unless a destination's request still needs them.</summary>
    public void Finish(StoredRegulation r, long now, IEnumerable<(string Sql, object?[] Values)> also) => Write([
        .. also,
        Progress(r with { Phase = ErasurePhases.Done, WaitingFor = null }),
        ("DELETE FROM regulation_events WHERE regulation_id = $1", [r.Id]),
        ("UPDATE regulations SET finished_at = $2, leased_by = NULL, lease_until = 0 WHERE id = $1", [r.Id, now]),
        ForgetIdsWhenDone(r.Id),
    ]);

    /// <summary>Up to <paramref name="max"/> requests to destinations due now and not held by another node, leased to <paramref name="node"/>, with their subjects (a read first, as for <see cref="Claim"/>).</summary>
    public IReadOnlyList<(DestinationRequest Request, Subject Subject, long CreatedAt)> ClaimRequests(string node, long now, long leaseUntil, int max) =>
        !Any("SELECT 1 FROM regulation_destinations WHERE status IN ('INITIALIZED', 'RUNNING') AND next_attempt_at <= $1 LIMIT 1", now) ? [] : Step<IReadOnlyList<(DestinationRequest, Subject, long)>>(reader =>
    {
        var due = reader.Query($"""
            SELECT {string.Join(", ", RequestColumns.Split(", ").Select(c => "d." + c))}, g.subject_type, g.subject_ids, g.created_at
            FROM regulation_destinations d JOIN regulations g ON g.id = d.regulation_id
            WHERE d.status IN ('INITIALIZED', 'RUNNING') AND d.next_attempt_at <= $1 AND (d.lease_until < $1 OR d.leased_by = $2)
            ORDER BY d.next_attempt_at LIMIT $3
            """, rows =>
        {
            var found = new List<(DestinationRequest, Subject, long)>();
            while (rows.Read())
            {
                var request = ReadRequest(rows);
                var ids = rows.IsDBNull(11) ? [] : JsonSerializer.Deserialize<List<string>>(rows.GetString(11)) ?? [];
                if (request.SubjectIndex < ids.Count)
                {
                    found.Add((request, new Subject(rows.GetString(10), ids[request.SubjectIndex]), rows.GetInt64(12)));
                }
            }

            return found;
        }, now, node, max);
        IReadOnlyList<ProfileChange> lease = due.Count == 0 ? [] : [new PrivacyStatements([.. due.Select(d => (
            "UPDATE regulation_destinations SET leased_by = $4, lease_until = $5 WHERE regulation_id = $1 AND destination_id = $2 AND subject_index = $3",
            new object?[] { d.Item1.RegulationId, d.Item1.DestinationId, d.Item1.SubjectIndex, node, leaseUntil }))])];
        return ((IReadOnlyList<(DestinationRequest, Subject, long)>)due, lease);
    });

    /// <summary>Records a request's attempt (its new status, answer and next attempt), and forgets the regulation's ids once nothing needs them.</summary>
    public void RecordRequest(DestinationRequest request) => Write([
        ("""
            UPDATE regulation_destinations SET status = $4, attempts = $5, next_attempt_at = $6, http_status = $7, response = $8, reason = $9, updated_at = $10,
                leased_by = NULL, lease_until = 0
            WHERE regulation_id = $1 AND destination_id = $2 AND subject_index = $3
            """, [request.RegulationId, request.DestinationId, request.SubjectIndex, request.Status, request.Attempts, request.NextAttemptAt,
                request.HttpStatus ?? -1, request.Response, request.Reason, request.UpdatedAt]),
        ("UPDATE regulation_destinations SET http_status = NULL WHERE regulation_id = $1 AND destination_id = $2 AND subject_index = $3 AND http_status = -1",
            [request.RegulationId, request.DestinationId, request.SubjectIndex]),
        ForgetIdsWhenDone(request.RegulationId),
    ]);

    /// <summary>Regulations finished before <paramref name="before"/> go with their requests (a suppression stays in force: its subjects are kept apart).</summary>
    public void Prune(long before) => Write([
        ("DELETE FROM regulation_destinations WHERE regulation_id IN (SELECT id FROM regulations WHERE finished_at < $1)", [before]),
        ("DELETE FROM regulations WHERE finished_at < $1", [before]),
    ]);

    /// <summary>The suppressed subjects, newest first: each as its hash, with its type, regulation and since when (Unix ms).</summary>
    public IReadOnlyList<(string Hash, string SubjectType, string RegulationId, long Since)> Suppressed(int limit) => store.Query(
        "SELECT hash, subject_type, regulation_id, since FROM suppressed_subjects ORDER BY since DESC, hash LIMIT $1",
        rows =>
        {
            var found = new List<(string, string, string, long)>();
            while (rows.Read())
            {
                found.Add((rows.GetString(0), rows.GetString(1), rows.GetString(2), rows.GetInt64(3)));
            }

            return found;
        },
        limit);

    /// <summary>The suppression of one subject (by its hash): its type, regulation and since when; null when it is not suppressed.</summary>
    public (string SubjectType, string RegulationId, long Since)? FindSuppressed(string hash) => store.Query(
        "SELECT subject_type, regulation_id, since FROM suppressed_subjects WHERE hash = $1",
        rows => rows.Read() ? (rows.GetString(0), rows.GetString(1), rows.GetInt64(2)) : ((string, string, long)?)null,
        hash);

    public long SuppressedCount() => store.Query("SELECT COUNT(*) FROM suppressed_subjects", rows => rows.Read() ? rows.GetInt64(0) : 0);

    private static (string Sql, object?[] Values) ForgetIdsWhenDone(string regulationId) => ("""
        UPDATE regulations SET subject_ids = NULL
        WHERE id = $1 AND phase = 'done'
          AND NOT EXISTS (SELECT 1 FROM regulation_destinations WHERE regulation_id = $1 AND status IN ('INITIALIZED', 'RUNNING'))
        """, [regulationId]);

    private bool Any(string sql, params object[] values) => store.Query(sql, rows => rows.Read(), values);

    private static IReadOnlyList<StoredRegulation> ReadRegulations(DbDataReader rows)
    {
        var regulations = new List<StoredRegulation>();
        while (rows.Read())
        {
            regulations.Add(new StoredRegulation(
                rows.GetString(0), rows.GetString(1), rows.GetString(2),
                rows.IsDBNull(3) ? null : JsonSerializer.Deserialize<List<string>>(rows.GetString(3)),
                JsonSerializer.Deserialize<List<string>>(rows.GetString(4)) ?? [],
                rows.GetInt32(5), rows.GetInt64(6), rows.GetString(7), rows.GetString(8),
                rows.GetInt64(9), rows.GetInt64(10), rows.GetInt64(11), rows.GetInt64(12), rows.GetInt64(13), rows.GetInt64(14),
                rows.IsDBNull(15) ? null : rows.GetString(15),
                rows.IsDBNull(16) ? null : rows.GetInt64(16)));
        }

        return regulations;
    }

    private static IReadOnlyList<DestinationRequest> ReadRequests(DbDataReader rows)
    {
        var requests = new List<DestinationRequest>();
        while (rows.Read())
        {
            requests.Add(ReadRequest(rows));
        }

        return requests;
    }

    private static DestinationRequest ReadRequest(DbDataReader rows) => new(
        rows.GetString(0), rows.GetString(1), rows.GetInt32(2), rows.GetString(3), rows.GetInt32(4), rows.GetInt64(5),
        rows.IsDBNull(6) ? null : rows.GetInt32(6),
        rows.IsDBNull(7) ? null : rows.GetString(7),
        rows.IsDBNull(8) ? null : rows.GetString(8),
        rows.GetInt64(9));
}
