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
    private readonly SqliteCheckpointer _checkpointer;

    public SqliteEventStore(SqliteDatabase database)
    {
        _database = database;
        _writer = database.Open();
        // Checkpoints run on a connection of their own, off the writer's thread (see SqliteCheckpointer).
        SqliteDatabase.Execute(_writer, "PRAGMA wal_autocheckpoint=0;");
        _checkpointer = new SqliteCheckpointer(database);

        // Inserts the id, or refreshes one older than the window; changes() = 0 means a duplicate.
        _rememberMessageId = Prepare("""
            INSERT INTO message_ids (source_id, message_id, accepted_at) VALUES ($source, $id, $now)
            ON CONFLICT (source_id, message_id) DO UPDATE SET accepted_at = excluded.accepted_at
            WHERE message_ids.accepted_at < $since
            """, "$source", "$id", "$now", "$since");
        _insertEvent = Prepare(
            "INSERT INTO events (source_id, message_id, type, received_at, body) VALUES ($source, $id, $type, $received, $body)",
            "$source", "$id", "$type", "$received", "$body");
        _pruneMessageIds = Prepare("""
            DELETE FROM message_ids WHERE (source_id, message_id) IN (
                SELECT source_id, message_id FROM message_ids WHERE accepted_at < $before ORDER BY accepted_at LIMIT $max)
            """, "$before", "$max");
    }

    public void Append(IReadOnlyList<EventBatch> group, long now, long dedupeSince)
    {
        using var transaction = _writer.BeginTransaction();
        _rememberMessageId.Transaction = transaction;
        _insertEvent.Transaction = transaction;
        var remember = _rememberMessageId.Parameters;
        var insert = _insertEvent.Parameters;
        remember[2].Value = now;
        remember[3].Value = dedupeSince;
        foreach (var batch in group)
        {
            remember[0].Value = batch.SourceId;
            insert[0].Value = batch.SourceId;
            insert[3].Value = batch.ReceivedAt;
            foreach (var pending in batch.Events)
            {
                if (pending.CheckDuplicate)
                {
                    remember[1].Value = pending.MessageId;
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
        _checkpointer.Dispose();
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
