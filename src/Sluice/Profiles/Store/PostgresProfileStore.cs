using System.Data.Common;
using Npgsql;
using Sluice.EventLog;
using Sluice.Profiles.Identity;
using Sluice.Storage;
using Sluice.Storage.Postgres;

namespace Sluice.Profiles.Store;

/// <summary>
/// Profiles on PostgreSQL. A step holds the profiles lock (transaction-scoped) from its first read to its
/// commit, so the nodes' steps change the graph one at a time: two events of one person read by two
/// nodes (their partitions differ) are resolved one after the other, the second seeing the first.
/// </summary>
internal sealed class PostgresProfileStore(PostgresDatabase database) : ProfileStoreReads
{
    /// <summary>The advisory lock the profiles consumer's steps take.</summary>
    public const long ProfilesLock = 0x51_1C_E0_03;

    public override long RunStep(Func<IProfileGraphReader, IReadOnlyList<ProfileChange>> resolve, IReadOnlyList<CursorAdvance> advances, bool changesGraph = true)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using (var lockGraph = Command(connection, transaction, $"SELECT pg_advisory_xact_lock({ProfilesLock})"))
        {
            lockGraph.ExecuteNonQuery();
        }

        var changes = resolve(new GraphReader(connection, transaction));
        // A step's statements go in one round trip, many rows to a statement.
        using (var batch = new NpgsqlBatch(connection, transaction))
        {
            foreach (var (sql, values) in ProfileWrites.Of(changes, rowsPerStatement: 500))
            {
                var command = new NpgsqlBatchCommand(sql);
                Bind(command.Parameters, values);
                batch.BatchCommands.Add(command);
            }

            if (batch.BatchCommands.Count > 0)
            {
                batch.ExecuteNonQuery();
            }
        }

        PostgresConsumerCursors.Advance(connection, transaction, advances);
        using var next = Command(connection, transaction, changesGraph ? ProfileSql.NextVersion : ProfileSql.ReadVersion);
        var version = (long)next.ExecuteScalar()!;
        transaction.Commit();
        return version;
    }

    public override T Query<T>(string sql, Func<DbDataReader, T> read, params object[] values)
    {
        using var connection = database.Open();
        using var command = Command(connection, null, sql, values);
        using var rows = command.ExecuteReader();
        return read(rows);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        Bind(command.Parameters, values);
        return command;
    }

    private static void Bind(NpgsqlParameterCollection parameters, object?[] values)
    {
        foreach (var value in values)
        {
            parameters.Add(value switch
            {
                null => new NpgsqlParameter<string?> { TypedValue = null },
                string text => new NpgsqlParameter<string> { TypedValue = text },
                Utf8Text utf8 => new NpgsqlParameter<string> { TypedValue = utf8.ToString() },
                long number => new NpgsqlParameter<long> { TypedValue = number },
                int number => new NpgsqlParameter<int> { TypedValue = number },
                _ => throw new ArgumentOutOfRangeException(nameof(values), value.GetType().Name, "not a column type of the profile tables"),
            });
        }
    }

    private sealed class GraphReader : StoredGraphReader
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlTransaction _transaction;

        public GraphReader(NpgsqlConnection connection, NpgsqlTransaction transaction)
        {
            (_connection, _transaction) = (connection, transaction);
            using var version = Command(connection, transaction, ProfileSql.ReadVersion);
            Version = (long)version.ExecuteScalar()!;
        }

        public override long Version { get; }

        /// <summary>A round trip is what a statement costs here.</summary>
        public bool ReadsCostARoundTrip => true;

        public override T Query<T>(string sql, Func<DbDataReader, T> read, params object[] values)
        {
            using var command = Command(_connection, _transaction, sql, values);
            using var rows = command.ExecuteReader();
            return read(rows);
        }
    }
}
