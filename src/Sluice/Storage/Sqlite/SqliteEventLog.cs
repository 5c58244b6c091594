using System.Buffers;
using Microsoft.Data.Sqlite;
using Sluice.EventLog;

namespace Sluice.Storage.Sqlite;

/// <summary>
/// The event log on SQLite. One connection, owned by the ingest writer's thread, appends; reads use
/// pooled connections of their own, which WAL lets run beside the writer. A reader's snapshot sees
/// whole commits only, and positions are assigned under SQLite's single write lock, so every read
/// is in commit order.
/// </summary>
internal sealed class SqliteEventLog : IEventLog
{
    private readonly SqliteDatabase _database;
    private readonly SqliteConnection _writer;
    private readonly SqliteStatement _rememberMessageId;
    private readonly SqliteStatement _insertMessages;
    private readonly SqliteCommand _takePositions;
    private readonly SqliteCommand _pruneMessageIds;
    private readonly ArrayBufferWriter<byte> _array = new(64 * 1024);

    private readonly CommitRows _rows = new();

    public SqliteEventLog(SqliteDatabase database)
    {
        _database = database;
        _writer = database.Open();
        SqliteDatabase.Execute(_writer, "PRAGMA cache_size=-32768;");
        using (var settings = _writer.CreateCommand())
        {
            settings.CommandText = "SELECT partition_count FROM event_log_settings";
            PartitionCount = Convert.ToInt32(settings.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        // Inserts the id, or refreshes one older than the window; changes() = 0 means a duplicate.
        _rememberMessageId = new SqliteStatement(_writer, """
            INSERT INTO message_ids (source_id, message_id, accepted_at) VALUES (?1, ?2, ?3)
            ON CONFLICT (source_id, message_id) DO UPDATE SET accepted_at = excluded.accepted_at
            WHERE message_ids.accepted_at < ?4
            """);
        _insertMessages = new SqliteStatement(_writer, "INSERT INTO event_log (position, partition, source_id, received_at, message_count, messages) VALUES (?6, ?1, ?2, ?3, ?4, ?5)");
        // Positions for a commit's rows, taken in its transaction: under the write lock, so in commit order.
        _takePositions = Prepare("UPDATE event_log_settings SET next_position = next_position + $rows RETURNING next_position - $rows", "$rows");
        _pruneMessageIds = Prepare("""
            DELETE FROM message_ids WHERE (source_id, message_id) IN (
                SELECT source_id, message_id FROM message_ids WHERE accepted_at < $before ORDER BY accepted_at LIMIT $max)
            """, "$before", "$max");
    }

    public int PartitionCount { get; }

    /// <summary>A reader's snapshot sees every commit made before it began.</summary>
    public bool ReadableOnCommit => true;

    /// <summary>SQLite has one writer: a second commit would only wait for the first.</summary>
    public int ConcurrentAppends => 1;

    public void Append(IReadOnlyList<EventBatch> group, long now, long dedupeSince)
    {
        using var transaction = _writer.BeginTransaction();
        // Whatever fails (the disk, a constraint), this group's rows must not be left for the next commit.
        try
        {
            _rememberMessageId.Bind(3, now);
            _rememberMessageId.Bind(4, dedupeSince);
            foreach (var batch in group)
            {
                _rememberMessageId.Bind(1, batch.SourceId);
                foreach (var pending in batch.Events)
                {
                    if (pending.CheckDuplicate)
                    {
                        _rememberMessageId.Bind(2, pending.MessageId);
                        if (_rememberMessageId.Execute() == 0)
                        {
                            pending.IsDuplicate = true;
                            continue;
                        }
                    }

                    _rows.Add(batch, pending);
                }
            }

            if (_rows.Rows.Count == 0)
            {
                transaction.Commit();
                return;
            }

            _takePositions.Transaction = transaction;
            _takePositions.Parameters[0].Value = _rows.Rows.Count;
            var position = (long)_takePositions.ExecuteScalar()!;
            foreach (var row in _rows.Rows)
            {
                _array.ResetWrittenCount();
                row.WriteJsonArray(_array.GetSpan(row.JsonArrayLength));
                _array.Advance(row.JsonArrayLength);
                _insertMessages.Bind(1, row.Partition);
                _insertMessages.Bind(2, row.Source);
                _insertMessages.Bind(3, row.ReceivedAt);
                _insertMessages.Bind(4, row.Messages.Count);
                _insertMessages.Bind(5, _array.WrittenSpan);
                _insertMessages.Bind(6, position++);
                _insertMessages.Execute();
            }
        }
        finally
        {
            _rows.Clear();
        }

        transaction.Commit();
    }

    /// <summary>Scans positions after <paramref name="after"/>: the embedded store keeps no index by partition (see the schema).</summary>
    public IReadOnlyList<LogRow> Read(int partition, long after, int maxRows)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT position, partition, source_id, received_at, messages FROM event_log WHERE partition = $partition AND position > $after ORDER BY position LIMIT $max";
        command.Parameters.AddWithValue("$partition", partition);
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$max", maxRows);
        return ReadRows(command);
    }

    public IReadOnlyList<LogRow> ReadFrom(long after, int maxRows, IReadOnlySet<int>? partitions, long maxBytes = IEventLog.MaxReadBytes)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        // Holding every partition (one node) is the common case: no filter at all then.
        var all = partitions is null || partitions.Count >= PartitionCount;
        command.CommandText = all
            ? "SELECT position, partition, source_id, received_at, messages FROM event_log WHERE position > $after ORDER BY position LIMIT $max"
            : "SELECT position, partition, source_id, received_at, messages FROM event_log WHERE position > $after AND partition IN (SELECT value FROM json_each($partitions)) ORDER BY position LIMIT $max";
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$max", maxRows);
        if (!all)
        {
            command.Parameters.AddWithValue("$partitions", System.Text.Json.JsonSerializer.Serialize(partitions));
        }

        return ReadRows(command, maxBytes);
    }

    public long Head()
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(position), 0) FROM event_log";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>One query per partition: without a partition index, each walks positions from its cursor to the partition's next row.</summary>
    public IReadOnlyDictionary<int, long> FirstUnreadReceivedAt(IReadOnlyDictionary<int, long> cursors)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT received_at FROM event_log WHERE partition = $partition AND position > $after ORDER BY position LIMIT 1";
        var partition = command.Parameters.Add("$partition", SqliteType.Integer);
        var after = command.Parameters.Add("$after", SqliteType.Integer);
        var first = new Dictionary<int, long>();
        foreach (var (p, cursor) in cursors)
        {
            partition.Value = p;
            after.Value = cursor;
            if (command.ExecuteScalar() is long receivedAt)
            {
                first[p] = receivedAt;
            }
        }

        return first;
    }

    /// <summary>The rows, up to the command's limit, stopping once about <paramref name="maxBytes"/> of messages are read (always one row).</summary>
    private static List<LogRow> ReadRows(SqliteCommand command, long maxBytes = IEventLog.MaxReadBytes)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<LogRow>();
        long bytes = 0;
        while (bytes < maxBytes && reader.Read())
        {
            var row = new LogRow(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt64(3), (byte[])reader.GetValue(4));
            rows.Add(row);
            bytes += row.Messages.Length;
        }

        return rows;
    }

    public EventPage ReadNewest(string sourceId, int limit, EventPosition? from, int maxBytes)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT position, messages FROM event_log WHERE source_id = $source AND position <= $from ORDER BY position DESC";
        command.Parameters.AddWithValue("$source", sourceId);
        command.Parameters.AddWithValue("$from", from?.Position ?? long.MaxValue);
        using var reader = command.ExecuteReader();
        return EventPages.Newest(reader, limit, from, maxBytes);
    }

    public void ProbeCommit(long now)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO store_probe (id, at) VALUES (1, $now) ON CONFLICT (id) DO UPDATE SET at = excluded.at";
        command.Parameters.AddWithValue("$now", now);
        command.ExecuteNonQuery();
    }

    public int PruneMessageIds(long olderThan, int max)
    {
        _pruneMessageIds.Transaction = null;
        _pruneMessageIds.Parameters[0].Value = olderThan;
        _pruneMessageIds.Parameters[1].Value = max;
        return _pruneMessageIds.ExecuteNonQuery();
    }

    /// <summary>Deletes in slices, oldest first: SQLite has no partitions to drop, and a short delete keeps the writer's waits short.</summary>
    public bool Rewrite(long position, byte[] messages)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE event_log SET messages = $messages WHERE position = $position";
        command.Parameters.AddWithValue("$messages", messages);
        command.Parameters.AddWithValue("$position", position);
        return command.ExecuteNonQuery() == 1;
    }

    public long DropBefore(long olderThan, int max, RetentionScope? scope = null)
    {
        scope ??= RetentionScope.All;
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            DELETE FROM event_log WHERE position IN (
                SELECT e.position FROM event_log e
                WHERE e.received_at < $before
                  {(scope.Only is null ? "" : "AND e.source_id = $only")}
                  {(scope.Except.Count == 0 ? "" : "AND e.source_id NOT IN (SELECT value FROM json_each($except))")}
                  AND e.position <= (SELECT MIN(c.position) FROM consumer_cursors c WHERE c.partition = e.partition)
                ORDER BY e.position LIMIT $max)
            """;
        command.Parameters.AddWithValue("$before", olderThan);
        command.Parameters.AddWithValue("$max", max);
        command.Parameters.AddWithValue("$only", (object?)scope.Only ?? DBNull.Value);
        command.Parameters.AddWithValue("$except", System.Text.Json.JsonSerializer.Serialize(scope.Except));
        return command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _rememberMessageId.Dispose();
        _insertMessages.Dispose();
        _takePositions.Dispose();
        _pruneMessageIds.Dispose();
        _writer.Dispose();
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _writer.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }
}
