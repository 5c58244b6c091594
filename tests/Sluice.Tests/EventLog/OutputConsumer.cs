using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Sluice.Storage.Sqlite;

namespace Sluice.EventLog;

/// <summary>
/// A consumer for the event log's own tests: writes a row per message (its name, messageId, user and
/// position) to <c>consumer_output</c>, in the same transaction as its cursor advances, as a real
/// consumer's store does. <paramref name="delayPerMessage"/> makes a slow one.
/// </summary>
internal class OutputConsumer(SqliteDatabase database, string name, TimeSpan delayPerMessage = default) : IEventLogConsumer
{
    public string Name => name;

    public ConsumerStart Start => ConsumerStart.Beginning;

    public int Commits { get; private set; }

    public static void CreateTable(SqliteDatabase database)
    {
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, "CREATE TABLE IF NOT EXISTS consumer_output (consumer TEXT NOT NULL, message_id TEXT NOT NULL, user TEXT NOT NULL, position INTEGER NOT NULL)");
    }

    /// <summary>What a consumer wrote, in the order it wrote it.</summary>
    public static List<(string MessageId, string User, long Position)> Output(SqliteDatabase database, string consumer)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT message_id, user, position FROM consumer_output WHERE consumer = $consumer ORDER BY rowid";
        command.Parameters.AddWithValue("$consumer", consumer);
        using var reader = command.ExecuteReader();
        var output = new List<(string, string, long)>();
        while (reader.Read())
        {
            output.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return output;
    }

    public void Consume(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances)
    {
        // The slow work comes before the transaction, as a real consumer's does: a consumer that slept
        // holding SQLite's write lock would starve the other one, whose commits could not get in.
        if (delayPerMessage > TimeSpan.Zero)
        {
            Thread.Sleep(delayPerMessage * rows.Sum(r => LogMessages.Split(r.Messages).Count));
        }

        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO consumer_output (consumer, message_id, user, position) VALUES ($consumer, $message, $user, $position)";
        insert.Parameters.AddWithValue("$consumer", name);
        var message = insert.Parameters.Add("$message", SqliteType.Text);
        var user = insert.Parameters.Add("$user", SqliteType.Text);
        var position = insert.Parameters.Add("$position", SqliteType.Integer);
        foreach (var row in rows)
        {
            foreach (var json in LogMessages.Split(row.Messages))
            {
                var parsed = JsonNode.Parse(json)!;
                message.Value = (string)parsed["messageId"]!;
                user.Value = (string)parsed["userId"]!;
                position.Value = row.Position;
                insert.ExecuteNonQuery();
            }
        }

        SqliteConsumerCursors.Advance(connection, transaction, advances);
        transaction.Commit();
        Commits++;
    }
}

/// <summary>The slow one of the two consumers the kill test runs.</summary>
internal sealed class SlowOutputConsumer(SqliteDatabase database) : OutputConsumer(database, "slow", TimeSpan.FromMilliseconds(3));

/// <summary>The fast one of the two consumers the kill test runs.</summary>
internal sealed class FastOutputConsumer(SqliteDatabase database) : OutputConsumer(database, "fast");
