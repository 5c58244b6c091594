using System.Buffers;
using Microsoft.Data.Sqlite;

namespace Sluice.Storage.Sqlite;

/// <summary>
/// The inbox on SQLite. One connection, owned by the ingest writer's thread, appends; reads use
/// pooled connections of their own, which WAL lets run beside the writer.
/// </summary>
internal sealed class SqliteEventStore : IEventStore
{
    private readonly SqliteDatabase _database;
    private readonly SqliteConnection _writer;
    private readonly SqliteStatement _rememberMessageId;
    private readonly SqliteStatement _insertMessages;
    private readonly SqliteCommand _pruneMessageIds;
    private readonly ArrayBufferWriter<byte> _array = new(64 * 1024);

    public SqliteEventStore(SqliteDatabase database)
    {
        _database = database;
        _writer = database.Open();
        SqliteDatabase.Execute(_writer, "PRAGMA cache_size=-32768;");

        // Inserts the id, or refreshes one older than the window; changes() = 0 means a duplicate.
        _rememberMessageId = new SqliteStatement(_writer, """
            INSERT INTO message_ids (source_id, message_id, accepted_at) VALUES (?1, ?2, ?3)
            ON CONFLICT (source_id, message_id) DO UPDATE SET accepted_at = excluded.accepted_at
            WHERE message_ids.accepted_at < ?4
            """);
        _insertMessages = new SqliteStatement(_writer, "INSERT INTO inbox (source_id, received_at, message_count, messages) VALUES (?1, ?2, ?3, ?4)");
        _pruneMessageIds = Prepare("""
            DELETE FROM message_ids WHERE (source_id, message_id) IN (
                SELECT source_id, message_id FROM message_ids WHERE accepted_at < $before ORDER BY accepted_at LIMIT $max)
            """, "$before", "$max");
    }

    public void Append(IReadOnlyList<EventBatch> group, long now, long dedupeSince)
    {
        using var transaction = _writer.BeginTransaction();
        _rememberMessageId.Bind(3, now);
        _rememberMessageId.Bind(4, dedupeSince);
        foreach (var batch in group)
        {
            _rememberMessageId.Bind(1, batch.SourceId);
            _array.ResetWrittenCount();
            var count = 0;
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

                Append(count++ == 0 ? (byte)'[' : (byte)',');
                _array.Write(pending.Body);
            }

            if (count == 0)
            {
                continue;
            }

            Append((byte)']');
            _insertMessages.Bind(1, batch.SourceId);
            _insertMessages.Bind(2, batch.ReceivedAt);
            _insertMessages.Bind(3, count);
            _insertMessages.Bind(4, _array.WrittenSpan);
            _insertMessages.Execute();
        }

        transaction.Commit();
    }

    public EventPage ReadNewest(string sourceId, int limit, EventPosition? from, int maxBytes)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, messages FROM inbox WHERE source_id = $source AND seq <= $from ORDER BY seq DESC";
        command.Parameters.AddWithValue("$source", sourceId);
        command.Parameters.AddWithValue("$from", from?.Seq ?? long.MaxValue);
        using var reader = command.ExecuteReader();
        var newest = new List<byte[]>(Math.Min(limit, 1024));
        var bytes = 0L;
        while (reader.Read())
        {
            var seq = reader.GetInt64(0);
            var messages = InboxMessages.Split((byte[])reader.GetValue(1));
            var start = from is { } f && f.Seq == seq ? Math.Min(f.Index, messages.Count - 1) : messages.Count - 1;
            for (var i = start; i >= 0; i--)
            {
                if (newest.Count == limit || (newest.Count > 0 && bytes + messages[i].Length > maxBytes))
                {
                    return new EventPage(newest, new EventPosition(seq, i));
                }

                newest.Add(messages[i]);
                bytes += messages[i].Length;
            }
        }

        return new EventPage(newest, null);
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

    public void Dispose()
    {
        _rememberMessageId.Dispose();
        _insertMessages.Dispose();
        _pruneMessageIds.Dispose();
        _writer.Dispose();
    }

    private void Append(byte value)
    {
        _array.GetSpan(1)[0] = value;
        _array.Advance(1);
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
