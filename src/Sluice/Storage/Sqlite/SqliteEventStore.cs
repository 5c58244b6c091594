using System.IO.Hashing;
using System.Runtime.InteropServices;
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
    private readonly SqliteCommand _rememberMessageId;
    private readonly SqliteCommand _insertEvent;
    private readonly SqliteCommand _pruneMessageIds;

    public SqliteEventStore(SqliteDatabase database)
    {
        _database = database;
        _writer = database.Open();

        // Inserts the id, or takes over the row when it is older than the window or another id
        // shares its hash; changes() = 0 means the same id was accepted within the window: a duplicate.
        _rememberMessageId = Prepare("""
            INSERT INTO message_ids (key, source_id, message_id, accepted_at) VALUES ($key, $source, $id, $now)
            ON CONFLICT (key) DO UPDATE SET source_id = excluded.source_id, message_id = excluded.message_id, accepted_at = excluded.accepted_at
            WHERE message_ids.accepted_at < $since OR message_ids.message_id <> excluded.message_id OR message_ids.source_id <> excluded.source_id
            """, "$key", "$source", "$id", "$now", "$since");
        _insertEvent = Prepare(
            "INSERT INTO events (source_id, message_id, type, received_at, body) VALUES ($source, $id, $type, $received, $body)",
            "$source", "$id", "$type", "$received", "$body");
        _pruneMessageIds = Prepare("""
            DELETE FROM message_ids WHERE key IN (
                SELECT key FROM message_ids WHERE accepted_at < $before ORDER BY accepted_at LIMIT $max)
            """, "$before", "$max");
    }

    public void Append(IReadOnlyList<EventBatch> group, long now, long dedupeSince)
    {
        using var transaction = _writer.BeginTransaction();
        _rememberMessageId.Transaction = transaction;
        _insertEvent.Transaction = transaction;
        var remember = _rememberMessageId.Parameters;
        var insert = _insertEvent.Parameters;
        remember[3].Value = now;
        remember[4].Value = dedupeSince;
        foreach (var batch in group)
        {
            remember[1].Value = batch.SourceId;
            insert[0].Value = batch.SourceId;
            insert[3].Value = batch.ReceivedAt;
            foreach (var pending in batch.Events)
            {
                if (pending.CheckDuplicate)
                {
                    remember[0].Value = MessageIdKey(batch.SourceId, pending.MessageId);
                    remember[2].Value = pending.MessageId;
                    if (_rememberMessageId.ExecuteNonQuery() == 0)
                    {
                        pending.IsDuplicate = true;
                        continue;
                    }
                }

                insert[1].Value = pending.MessageId;
                insert[2].Value = pending.Type;
                insert[4].Value = pending.Body;
                _insertEvent.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    private static long MessageIdKey(string sourceId, string messageId)
    {
        var hash = new XxHash3();
        hash.Append(MemoryMarshal.AsBytes(sourceId.AsSpan()));
        hash.Append([0, 0]);
        hash.Append(MemoryMarshal.AsBytes(messageId.AsSpan()));
        return (long)hash.GetCurrentHashAsUInt64();
    }

    public IReadOnlyList<byte[]> ReadNewest(string sourceId, int limit)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM events WHERE source_id = $source ORDER BY seq DESC LIMIT $limit";
        command.Parameters.AddWithValue("$source", sourceId);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var bodies = new List<byte[]>();
        while (reader.Read())
        {
            bodies.Add((byte[])reader.GetValue(0));
        }

        return bodies;
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
        _insertEvent.Dispose();
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
