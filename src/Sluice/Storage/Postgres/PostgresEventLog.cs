using Npgsql;
using NpgsqlTypes;
using Sluice.EventLog;

namespace Sluice.Storage.Postgres;

/// <summary>
/// The event log on PostgreSQL. Every node appends (one group commit at a time per node, a binary
/// COPY); a node reads the partitions it leases. A row's position is its transaction's id shifted
/// left by <see cref="IndexBits"/> plus its index in the commit, and a read only returns positions below
/// the oldest transaction still running: every transaction that could still add a lower position has
/// ended, so what a reader has passed is never filled in behind it, while the nodes' commits run side
/// by side (a shared counter would make them take turns).
/// </summary>
internal sealed class PostgresEventLog : IEventLog
{
    /// <summary>Bits of a position that number the rows of one commit: a commit has at most about a million rows.</summary>
    private const int IndexBits = 20;

    /// <summary>Transaction ids above this no longer fit a position: years of 10,000 write transactions a second.</summary>
    private const long MaxTransactionId = (1L << (63 - IndexBits)) - 1;

    /// <summary>Below every position a transaction that is still running could write (<see cref="IndexBits"/> is the shift).</summary>
    internal const string ReadableBound = "(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20)";

    private const string Columns = "position, partition, source_id, received_at, messages";

    /// <summary>The error <c>require_fresh</c> raises (schema version 3): a messageId of the group was seen before.</summary>
    private const string DuplicateInGroup = "SL001";

    private readonly PostgresDatabase _database;
    private long _announcedAt = long.MinValue / 2;

    public PostgresEventLog(PostgresDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT partition_count FROM event_log_settings", connection);
        PartitionCount = (int)command.ExecuteScalar()!;
        using var next = new NpgsqlCommand("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint", connection);
        if ((long)next.ExecuteScalar()! > MaxTransactionId)
        {
            throw new InvalidOperationException($"PostgreSQL's transaction ids have passed {MaxTransactionId}: they no longer fit an event log position, so this store cannot take events");
        }
    }

    public int PartitionCount { get; }

    /// <summary>A commit is readable once every transaction older than it has ended.</summary>
    public bool ReadableOnCommit => false;

    /// <summary>Each commit on a connection and a server process of its own: a second overlaps the first's execution and flush.</summary>
    public int ConcurrentAppends => 2;

    public void Append(IReadOnlyList<EventBatch> group, long now, long dedupeSince)
    {
        var day = PostgresDatabase.DayOf(now);
        _database.EnsureDay(DayTable.MessageIds, day);
        foreach (var batch in group)
        {
            _database.EnsureDay(DayTable.EventLog, PostgresDatabase.DayOf(batch.ReceivedAt));
        }

        using var connection = _database.Open();
        var commit = new GroupCommit();
        var wrote = commit.TryAppendInOneTrip(connection, group, now, dedupeSince) ?? commit.AppendStepByStep(connection, group, now, dedupeSince);
        if (wrote)
        {
            AnnounceAppend(connection);
        }
    }

    /// <summary>
    /// Tells the other nodes' readers that the log grew (<see cref="PostgresNotifications"/>): after the
    /// commit, in a statement of its own (NOTIFY inside the commit would serialize every node's commits on
    /// PostgreSQL's notify lock), and at most every 20 ms from this node, so a burst of commits is one wake-up.
    /// </summary>
    private void AnnounceAppend(NpgsqlConnection connection)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _announcedAt);
        if (now - last < 20 || Interlocked.CompareExchange(ref _announcedAt, now, last) != last)
        {
            return;
        }

        try
        {
            using var notify = new NpgsqlCommand($"SELECT pg_notify('{PostgresNotifications.LogChannel}', '')", connection);
            notify.ExecuteNonQuery();
        }
        catch (NpgsqlException)
        {
            // The events are committed; a lost hint only means the other nodes find them at their next poll.
        }
    }

    /// <summary>
    /// One group commit's rows and messageIds, built for it: the ingest writer may have two commits under
    /// way at once (<see cref="IEventLog.ConcurrentAppends"/>), each on a connection of its own.
    /// </summary>
    private sealed class GroupCommit
    {
        private readonly CommitRows _rows = new();
        private readonly List<string> _dedupeSources = [];
        private readonly List<string> _dedupeIds = [];

        /// <summary>
        /// The common case, no duplicate: the messageIds, the rows (built as if every event were new) and the
        /// commit in one round trip. Returns null, having written nothing, when a messageId
        /// turns out to be a duplicate (or is twice in the group): the step-by-step path then decides.
        /// </summary>
        public bool? TryAppendInOneTrip(NpgsqlConnection connection, IReadOnlyList<EventBatch> group, long now, long dedupeSince)
        {
            CollectMessageIds(group);
            var keys = new HashSet<(string, string)>(_dedupeIds.Count);
            for (var i = 0; i < _dedupeIds.Count; i++)
            {
                if (!keys.Add((_dedupeSources[i], _dedupeIds[i])))
                {
                    return null;
                }
            }

            try
            {
                BuildRows(group, fresh: null);
                if (_rows.Rows.Count >= 1 << IndexBits)
                {
                    return null;
                }

                if (_rows.Rows.Count == 0 && _dedupeIds.Count == 0)
                {
                    return false;
                }

                // No explicit transaction: the statement is its own, committed when PostgreSQL answers it, so the
                // group costs one round trip. A duplicate makes it fail, and so write nothing.
                using var command = AppendFreshCommand(connection, now, dedupeSince);
                try
                {
                    command.ExecuteNonQuery();
                }
                catch (PostgresException exception) when (exception.SqlState is DuplicateInGroup or PostgresErrorCodes.UniqueViolation)
                {
                    return null;
                }

                return _rows.Rows.Count > 0;
            }
            finally
            {
                _rows.Clear();
            }
        }

        /// <summary>The general path: messageIds first, then the rows of the events found new, by binary COPY.</summary>
        public bool AppendStepByStep(NpgsqlConnection connection, IReadOnlyList<EventBatch> group, long now, long dedupeSince)
        {
            using var transaction = connection.BeginTransaction();
            var wrote = false;
            try
            {
                BuildRows(group, RememberMessageIds(connection, transaction, group, now, dedupeSince));
                if (_rows.Rows.Count > 0)
                {
                    WriteRows(connection, transaction);
                    wrote = true;
                }
            }
            finally
            {
                _rows.Clear();
            }

            transaction.Commit();
            return wrote;
        }

        /// <summary>Groups the events into rows by (source, partition); with <paramref name="fresh"/>, only those found new (the others are marked duplicates).</summary>
        private void BuildRows(IReadOnlyList<EventBatch> group, HashSet<(string Source, string MessageId)>? fresh)
        {
            foreach (var batch in group)
            {
                foreach (var pending in batch.Events)
                {
                    if (fresh is not null && pending.CheckDuplicate && !fresh.Remove((batch.SourceId, pending.MessageId)))
                    {
                        pending.IsDuplicate = true;
                        continue;
                    }

                    _rows.Add(batch, pending);
                }
            }
        }

        /// <summary>
        /// The group in one statement: the messageIds remembered, the rows (built as if every event were new)
        /// inserted, positioned by this transaction's id on the server (no round trip to learn it). Fails with
        /// <see cref="DuplicateInGroup"/> when fewer messageIds went in than the group has: one was seen before.
        /// </summary>
        private NpgsqlCommand AppendFreshCommand(NpgsqlConnection connection, long now, long dedupeSince)
        {
            var command = new NpgsqlCommand($"""
                WITH remembered AS ({RememberSql(now, dedupeSince, skipSeen: false)}),
                logged AS (
                    INSERT INTO event_log (position, partition, source_id, received_at, message_count, messages)
                    SELECT (pg_current_xact_id()::text::bigint << 20) + r.n - 1, r.partition, r.source_id, r.received_at, r.message_count, r.messages
                    FROM unnest($6::smallint[], $7::text[], $8::bigint[], $9::integer[], $10::bytea[]) WITH ORDINALITY AS r (partition, source_id, received_at, message_count, messages, n)
                )
                SELECT require_fresh((SELECT count(*) FROM remembered)::integer, $11)
                """, connection);
            AddRememberParameters(command.Parameters, now, dedupeSince);
            command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. _rows.Rows.Select(r => (short)r.Partition)] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. _rows.Rows.Select(r => r.Source)] });
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. _rows.Rows.Select(r => r.ReceivedAt)] });
            command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. _rows.Rows.Select(r => r.Messages.Count)] });
            command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. _rows.Rows.Select(r => r.ToJsonArray())] });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _dedupeIds.Count });
            return command;
        }

        /// <summary>
        /// Inserts the group's messageIds into today's window, except those already seen in the window's
        /// earlier days; returns the ones inserted. Another node inserting the same id waits for this
        /// commit, then finds it: the window holds across nodes. Sorted, so two nodes' inserts take row
        /// locks in the same order and cannot deadlock.
        /// </summary>
        private HashSet<(string Source, string MessageId)> RememberMessageIds(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<EventBatch> group, long now, long dedupeSince)
        {
            CollectMessageIds(group);
            var fresh = new HashSet<(string, string)>();
            if (_dedupeIds.Count == 0)
            {
                return fresh;
            }

            using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { RememberCommand(now, dedupeSince) } };
            using var reader = batch.ExecuteReader();
            while (reader.Read())
            {
                fresh.Add((reader.GetString(0), reader.GetString(1)));
            }

            return fresh;
        }

        private void CollectMessageIds(IReadOnlyList<EventBatch> group)
        {
            _dedupeSources.Clear();
            _dedupeIds.Clear();
            foreach (var batch in group)
            {
                foreach (var pending in batch.Events.Where(e => e.CheckDuplicate))
                {
                    _dedupeSources.Add(batch.SourceId);
                    _dedupeIds.Add(pending.MessageId);
                }
            }
        }

        /// <summary>Inserts the collected messageIds into today's window, but those seen in its earlier days; returns those inserted.</summary>
        private NpgsqlBatchCommand RememberCommand(long now, long dedupeSince)
        {
            var command = new NpgsqlBatchCommand(RememberSql(now, dedupeSince, skipSeen: true));
            AddRememberParameters(command.Parameters, now, dedupeSince);
            return command;
        }

        /// <summary>
        /// The days the window reaches before today are written into the text, not passed as parameters: a
        /// cached plan then holds only those days' tables. With parameters, a plan made while today's table
        /// was still empty (no statistics yet) scanned today's table whole for every messageId.
        /// </summary>
        /// <remarks>
        /// Without <paramref name="skipSeen"/>, a messageId already in today's table fails the statement (a
        /// unique violation) instead of being passed over: half the cost of each insert, for the group commit
        /// that expects no duplicate and writes its group again without them when there is one.
        /// </remarks>
        private static string RememberSql(long now, long dedupeSince, bool skipSeen) => $"""
            INSERT INTO message_ids (day, source_id, message_id, accepted_at)
            SELECT $1, i.source_id, i.message_id, $2
            FROM unnest($3::text[] COLLATE "C", $4::text[] COLLATE "C") AS i (source_id, message_id)
            WHERE NOT EXISTS (
                SELECT 1 FROM message_ids m
                WHERE m.source_id = i.source_id AND m.message_id = i.message_id
                    AND m.day >= {PostgresDatabase.DayOf(dedupeSince)} AND m.day < {PostgresDatabase.DayOf(now)} AND m.accepted_at >= $5)
            ORDER BY i.message_id, i.source_id
            {(skipSeen ? "ON CONFLICT DO NOTHING" : "")}
            RETURNING source_id, message_id
            """;

        private void AddRememberParameters(NpgsqlParameterCollection parameters, long now, long dedupeSince)
        {
            parameters.Add(new NpgsqlParameter<int> { TypedValue = PostgresDatabase.DayOf(now) });
            parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
            parameters.Add(new NpgsqlParameter<List<string>> { TypedValue = _dedupeSources, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            parameters.Add(new NpgsqlParameter<List<string>> { TypedValue = _dedupeIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            parameters.Add(new NpgsqlParameter<long> { TypedValue = dedupeSince });
        }

        private void WriteRows(NpgsqlConnection connection, NpgsqlTransaction transaction)
        {
            if (_rows.Rows.Count >= 1 << IndexBits)
            {
                throw new InvalidOperationException($"a group commit of {_rows.Rows.Count} log rows is more than a position can number ({1 << IndexBits})");
            }

            long transactionId;
            using (var current = new NpgsqlCommand("SELECT pg_current_xact_id()::text::bigint", connection, transaction))
            {
                transactionId = (long)current.ExecuteScalar()!;
            }

            if (transactionId > MaxTransactionId)
            {
                throw new InvalidOperationException($"PostgreSQL's transaction id {transactionId} no longer fits an event log position (at most {MaxTransactionId}): this store has outlived its position scheme");
            }

            var position = transactionId << IndexBits;
            using var importer = connection.BeginBinaryImport("COPY event_log (position, partition, source_id, received_at, message_count, messages) FROM STDIN (FORMAT BINARY)");
            foreach (var row in _rows.Rows)
            {
                importer.StartRow();
                importer.Write(position++, NpgsqlDbType.Bigint);
                importer.Write((short)row.Partition, NpgsqlDbType.Smallint);
                importer.Write(row.Source, NpgsqlDbType.Text);
                importer.Write(row.ReceivedAt, NpgsqlDbType.Bigint);
                importer.Write(row.Messages.Count, NpgsqlDbType.Integer);
                importer.Write(row.ToJsonArray(), NpgsqlDbType.Bytea);
            }

            importer.Complete();
        }
    }

    public IReadOnlyList<LogRow> Read(int partition, long after, int maxRows)
    {
        using var connection = _database.Open();
        using var command = new NpgsqlCommand($"SELECT {Columns} FROM event_log WHERE partition = $1 AND position > $2 AND position < {ReadableBound} ORDER BY position LIMIT $3", connection);
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)partition });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxRows });
        return ReadRows(command);
    }

    public IReadOnlyList<LogRow> ReadFrom(long after, int maxRows, IReadOnlySet<int>? partitions, long maxBytes = IEventLog.MaxReadBytes)
    {
        using var connection = _database.Open();
        var all = partitions is null || partitions.Count >= PartitionCount;
        using var command = new NpgsqlCommand(
            all
                ? $"SELECT {Columns} FROM event_log WHERE position > $1 AND position < {ReadableBound} ORDER BY position LIMIT $2"
                : $"SELECT {Columns} FROM event_log WHERE position > $1 AND position < {ReadableBound} AND partition = ANY($3) ORDER BY position LIMIT $2",
            connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxRows });
        if (!all)
        {
            command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. partitions!.Select(p => (short)p)] });
        }

        return ReadRows(command, maxBytes);
    }

    public bool Rewrite(long position, byte[] messages)
    {
        using var connection = _database.Open();
        using var command = new NpgsqlCommand("UPDATE event_log SET messages = $2 WHERE position = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = messages });
        return command.ExecuteNonQuery() == 1;
    }

    public long Head()
    {
        using var connection = _database.Open();
        using var command = new NpgsqlCommand($"SELECT COALESCE(MAX(position), 0) FROM event_log WHERE position < {ReadableBound}", connection);
        return (long)command.ExecuteScalar()!;
    }

    public IReadOnlyDictionary<int, long> FirstUnreadReceivedAt(IReadOnlyDictionary<int, long> cursors)
    {
        using var connection = _database.Open();
        using var command = new NpgsqlCommand($"""
            SELECT c.partition, (SELECT e.received_at FROM event_log e
                                 WHERE e.partition = c.partition AND e.position > c.position AND e.position < {ReadableBound}
                                 ORDER BY e.position LIMIT 1)
            FROM unnest($1::smallint[], $2::bigint[]) AS c (partition, position)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. cursors.Keys.Select(p => (short)p)] });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. cursors.Values] });
        using var reader = command.ExecuteReader();
        var first = new Dictionary<int, long>();
        while (reader.Read())
        {
            if (!reader.IsDBNull(1))
            {
                first[reader.GetInt16(0)] = reader.GetInt64(1);
            }
        }

        return first;
    }

    private static List<LogRow> ReadRows(NpgsqlCommand command, long maxBytes = IEventLog.MaxReadBytes)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<LogRow>();
        long bytes = 0;
        while (bytes < maxBytes && reader.Read())
        {
            var row = new LogRow(reader.GetInt64(0), reader.GetInt16(1), reader.GetString(2), reader.GetInt64(3), reader.GetFieldValue<byte[]>(4));
            rows.Add(row);
            bytes += row.Messages.Length;
        }

        return rows;
    }

    public EventPage ReadNewest(string sourceId, int limit, EventPosition? from, int maxBytes)
    {
        using var connection = _database.Open();
        // Each row holds at least one message: limit + 1 rows are always enough for a page and where the next starts.
        using var command = new NpgsqlCommand("SELECT position, messages FROM event_log WHERE source_id = $1 AND position <= $2 ORDER BY position DESC LIMIT $3", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sourceId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = from?.Position ?? long.MaxValue });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit + 1 });
        using var reader = command.ExecuteReader();
        return EventPages.Newest(reader, limit, from, maxBytes);
    }

    public void ProbeCommit(long now)
    {
        using var connection = _database.Open();
        using var command = new NpgsqlCommand("INSERT INTO store_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Drops the window's days that ended before <paramref name="olderThan"/> (a whole day at a time, no
    /// row deleted), when no other node is changing the schema; returns how many messageIds went with them.
    /// </summary>
    public int PruneMessageIds(long olderThan, int max) =>
        (int)Math.Min(int.MaxValue, PostgresRetention.DropDaysBefore(_database, DayTable.MessageIds, PostgresDatabase.DayOf(olderThan)));

    /// <summary>
    /// Drops whole days that ended before <paramref name="olderThan"/> once every consumer's cursor has
    /// passed each of the day's partitions' last row; a day not passed yet stays until it is. Under the
    /// schema lock (tried, not waited for: another node is doing it).
    /// </summary>
    public long DropBefore(long olderThan, int max, RetentionScope? scope = null)
    {
        if (scope is { IsAll: false })
        {
            return DeleteBefore(olderThan, max, scope);
        }

        var before = PostgresDatabase.DayOf(olderThan);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        if (!PostgresRetention.TryLockSchema(connection, transaction))
        {
            return 0;
        }

        var slowest = new Dictionary<int, long>();
        using (var cursors = new NpgsqlCommand("SELECT partition, MIN(position) FROM consumer_cursors GROUP BY partition", connection, transaction))
        using (var reader = cursors.ExecuteReader())
        {
            while (reader.Read())
            {
                slowest[reader.GetInt16(0)] = reader.GetInt64(1);
            }
        }

        var dropped = 0L;
        foreach (var (name, rows) in PostgresRetention.Days(connection, transaction, DayTable.EventLog))
        {
            if (DayTable.EventLog.DayOf(name) is not { } day || day >= before)
            {
                continue;
            }

            using var last = new NpgsqlCommand($"SELECT partition, MAX(position) FROM {name} GROUP BY partition", connection, transaction);
            var passed = true;
            using (var reader = last.ExecuteReader())
            {
                while (reader.Read())
                {
                    passed &= slowest.TryGetValue(reader.GetInt16(0), out var cursor) && cursor >= reader.GetInt64(1);
                }
            }

            if (!passed)
            {
                // Days after it were read later still: nothing older can go before this one does.
                break;
            }

            using var drop = new NpgsqlCommand($"DROP TABLE {name}", connection, transaction);
            drop.ExecuteNonQuery();
            dropped += Math.Max(rows, 0);
        }

        transaction.Commit();
        return dropped;
    }

    /// <summary>
    /// Per-source retention: a day holds every source's rows, so a source kept shorter or longer than the
    /// rest loses its old rows by DELETE, at most <paramref name="max"/> a statement (no long lock, no storm).
    /// </summary>
    private long DeleteBefore(long olderThan, int max, RetentionScope scope)
    {
        using var connection = _database.Open();
        using var command = new NpgsqlCommand("""
            DELETE FROM event_log WHERE position IN (
                SELECT e.position FROM event_log e
                WHERE e.received_at < $1
                  AND ($2::text IS NULL OR e.source_id = $2)
                  AND NOT (e.source_id = ANY($3))
                  AND e.position <= (SELECT MIN(c.position) FROM consumer_cursors c WHERE c.partition = e.partition)
                ORDER BY e.position LIMIT $4)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = olderThan });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = scope.Only });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. scope.Except] });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
        return command.ExecuteNonQuery();
    }

    public void Dispose()
    {
    }
}
