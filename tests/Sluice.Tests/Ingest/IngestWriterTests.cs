using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Sluice.EventLog;
using Sluice.Observability;
using Sluice.Storage;

namespace Sluice.Ingest;

/// <summary>
/// The group commit on a store that takes commits side by side (PostgreSQL): a commit held up on the
/// server does not hold up a group large enough for a commit of its own, while a lone request waits for
/// the commit under way, so that small requests keep sharing commits.
/// </summary>
public sealed class IngestWriterTests
{
    [Fact]
    public async Task On_PostgreSQL_a_full_group_commits_beside_a_held_up_commit_and_a_lone_request_waits_for_it()
    {
        using var backend = new PostgresBackend();
        using var store = backend.Open();
        using var writer = new IngestWriter(store.EventLog, new LogAppended(), new IngestOptions { SideBySideCommitEvents = 10 }, TimeProvider.System, new SluiceMetrics(), NullLogger<IngestWriter>.Instance);
        await Enqueue(writer, store.EventLog, "first");

        // Another session inserts a messageId and keeps its transaction open: the commit that brings the
        // same messageId waits for that session on the server.
        await using var session = new NpgsqlConnection(backend.ConnectionString);
        await session.OpenAsync();
        await using var held = await session.BeginTransactionAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var insert = new NpgsqlCommand("INSERT INTO message_ids (day, source_id, message_id, accepted_at) VALUES ($1, 'web', 'held', $2)", session, held))
        {
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)(now / 86_400_000) });
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
            await insert.ExecuteNonQueryAsync();
        }

        var heldUp = Enqueue(writer, store.EventLog, "held");
        await WaitForALockWait(backend.ConnectionString);

        var lone = Enqueue(writer, store.EventLog, "lone");
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(lone.IsCompleted, "a lone request waits for the commit under way");

        var full = Enqueue(writer, store.EventLog, [.. Enumerable.Range(0, 10).Select(i => $"batch-{i}")]);
        await full.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(lone.IsCompleted, "the lone request went in the full group's commit, queued before it");
        Assert.False(heldUp.IsCompleted);

        await held.RollbackAsync();
        await heldUp.WaitAsync(TimeSpan.FromSeconds(30));
        EventLogContract.Settle(store.EventLog, 13);
        Assert.Equal(
            ["batch-0", "batch-1", "batch-2", "batch-3", "batch-4", "batch-5", "batch-6", "batch-7", "batch-8", "batch-9", "first", "held", "lone"],
            EventLogContract.MessageIds(store.EventLog.ReadFrom(0, 100, null)).Order(StringComparer.Ordinal));
    }

    private static Task Enqueue(IngestWriter writer, IEventLog log, params string[] messageIds)
    {
        var events = messageIds.Select(id => EventLogContract.Event(id, $"user-{id}", log.PartitionCount)).ToList();
        var bytes = events.Sum(e => (long)e.Body.Length);
        return writer.TryEnqueue(new EventBatch("web", events, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), bytes) ?? throw new InvalidOperationException("the writer refused the batch");
    }

    /// <summary>Until a server process of the database waits on a lock: the held-up commit has reached the server.</summary>
    private static async Task WaitForALockWait(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var waiting = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((long)(await waiting.ExecuteScalarAsync())! == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the commit never waited on the held messageId");
            await Task.Delay(20);
        }
    }
}
