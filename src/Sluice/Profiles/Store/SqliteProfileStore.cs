using System.Data.Common;
using Microsoft.Data.Sqlite;
using Sluice.EventLog;
using Sluice.Profiles.Identity;
using Sluice.Storage.Sqlite;

namespace Sluice.Profiles.Store;

/// <summary>
/// Profiles on SQLite, in a file of their own (<see cref="ProfilesFile"/>). A step reads the graph before it
/// writes (one process owns an SQLite store, and its steps, the consumer's and an unmerge's, run one at a
/// time, so nothing changes it meanwhile), and its transaction begins deferred: its writes take the
/// profile store's lock, not <c>sluice.db</c>'s, so ingest's group commits do not wait for a profiles step.
/// A privacy step that writes <c>sluice.db</c>'s tables takes that file's lock for its own writes.
/// </summary>
internal sealed class SqliteProfileStore(SqliteDatabase database) : ProfileStoreReads
{
    /// <summary>Held through a step: the consumer's steps and an unmerge's read the graph, then write it, one at a time.</summary>
    private readonly Lock _steps = new();

    public override long RunStep(Func<IProfileGraphReader, IReadOnlyList<ProfileChange>> resolve, IReadOnlyList<CursorAdvance> advances, bool changesGraph = true)
    {
        lock (_steps)
        {
            return Step(resolve, advances, changesGraph);
        }
    }

    private long Step(Func<IProfileGraphReader, IReadOnlyList<ProfileChange>> resolve, IReadOnlyList<CursorAdvance> advances, bool changesGraph)
    {
        // Profiles are made from the log, and a step's cursors commit with what it made: a step lost to a
        // power cut (not to kill -9, which WAL survives either way) is done again from the same events. So
        // it need not wait for its own fsync, and holds the writer shorter; the next durable commit (an
        // ingest's) syncs it with everything before it.
        using var connection = database.OpenProfiles(SqliteDurability.Normal);
        IReadOnlyList<ProfileChange> changes;
        using (var reader = new GraphReader(connection))
        {
            changes = resolve(reader);
        }

        // Deferred: each file's lock is taken by the first statement that writes it. No statement of a step
        // reads a file before another writes it, so none has to turn a read into a write (which SQLite refuses
        // when another connection committed to that file in between).
        using var transaction = connection.BeginTransaction(deferred: true);
        // A step runs the same few statements for every event: each is prepared once per step, and run through
        // SQLite's own API (Microsoft.Data.Sqlite's commands bind each parameter by name at every run).
        var statements = new Dictionary<string, SqliteStatement>();
        try
        {
            foreach (var (sql, values) in ProfileWrites.Of(changes, rowsPerStatement: 1))
            {
                if (!statements.TryGetValue(sql, out var statement))
                {
                    statements[sql] = statement = new SqliteStatement(connection, sql);
                }

                statement.BindNumbered(values);
                statement.Execute();
            }

            ProfilesFile.AdvanceCursors(connection, transaction, advances);
            using var next = connection.CreateCommand();
            next.Transaction = transaction;
            next.CommandText = changesGraph ? ProfileSql.NextVersion : ProfileSql.ReadVersion;
            var version = (long)next.ExecuteScalar()!;
            transaction.Commit();
            return version;
        }
        finally
        {
            foreach (var statement in statements.Values)
            {
                statement.Dispose();
            }
        }
    }

    public override T Query<T>(string sql, Func<DbDataReader, T> read, params object[] values)
    {
        using var connection = database.OpenProfiles();
        return Query(connection, sql, read, values);
    }

    private static T Query<T>(SqliteConnection connection, string sql, Func<DbDataReader, T> read, object[] values, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.AddWithValue($"${i + 1}", values[i]);
        }

        using var rows = command.ExecuteReader();
        return read(rows);
    }

    /// <summary>
    /// The stored graph as a step on SQLite reads it, in one read transaction that ends before the step's
    /// writes begin (so none has to turn a read into a write): its reads see one state of the file, and a
    /// statement outside a transaction would take and let go of the file's read lock at every run, about
    /// as long as a lookup itself (BENCHMARKS.md, Identity's seventh measurement). A step's many reads, owners
    /// of identifiers and profiles by id, are one prepared statement each, run once an identifier or profile
    /// through SQLite's own API: a statement of a hundred values binds each by name, and a point lookup is
    /// what the index is for.
    /// </summary>
    private sealed class GraphReader : StoredGraphReader, IPointReads, IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteTransaction _reading;
        private readonly Dictionary<string, PointRead> _pointReads = new(StringComparer.Ordinal);
        private SqliteStatement? _owner;
        private SqliteStatement? _profile;

        public GraphReader(SqliteConnection connection)
        {
            _connection = connection;
            _reading = connection.BeginTransaction(deferred: true);
            Version = Query(ProfileSql.ReadVersion, rows => rows.Read() ? rows.GetInt64(0) : 0);
        }

        public override long Version { get; }

        public override T Query<T>(string sql, Func<DbDataReader, T> read, params object[] values) => SqliteProfileStore.Query(_connection, sql, read, values, _reading);

        public override IReadOnlyDictionary<Identifier, string> OwnersOf(IReadOnlyList<Identifier> identifiers)
        {
            _owner ??= new SqliteStatement(_connection, ProfileSql.OwnerOf);
            var owners = new Dictionary<Identifier, string>();
            foreach (var identifier in identifiers)
            {
                _owner.Bind(1, identifier.Type);
                _owner.Bind(2, identifier.Value);
                if (_owner.Next())
                {
                    owners[identifier] = _owner.Text(0)!;
                    _owner.Reset();
                }
            }

            return owners;
        }

        public override IReadOnlyList<ProfileIdentity> Read(IReadOnlyList<string> profileIds)
        {
            // The batched read's statement for one id: its columns are the id, then those read here.
            _profile ??= new SqliteStatement(_connection, ProfileSql.ReadProfiles(1));
            var profiles = new List<ProfileIdentity>(profileIds.Count);
            foreach (var id in profileIds)
            {
                _profile.Bind(1, id);
                if (!_profile.Next())
                {
                    continue;
                }

                var identifiers = new List<IdentifierMapping>();
                profiles.Add(new ProfileIdentity(id, _profile.Int64(1), (int)_profile.Int64(2), identifiers));
                do
                {
                    if (_profile.Text(3) is { } type)
                    {
                        identifiers.Add(new IdentifierMapping(new Identifier(type, _profile.Text(4)!), _profile.Int64(5)));
                    }
                }
                while (_profile.Next());
            }

            return profiles;
        }

        public void ForEachRow(string sql, IEnumerable<object?[]> parameterSets, Action<int, IStoredRow> read)
        {
            if (!_pointReads.TryGetValue(sql, out var point))
            {
                _pointReads[sql] = point = new PointRead(new SqliteStatement(_connection, sql));
            }

            var index = 0;
            foreach (var values in parameterSets)
            {
                point.Statement.BindNumbered(values);
                while (point.Statement.Next())
                {
                    read(index, point);
                }

                index++;
            }
        }

        public void Dispose()
        {
            foreach (var point in _pointReads.Values)
            {
                point.Statement.Dispose();
            }

            _owner?.Dispose();
            _profile?.Dispose();
            // It only read: ending it lets go of the read lock.
            _reading.Commit();
            _reading.Dispose();
        }

        /// <summary>A point read's statement, and its rows as <see cref="IStoredRow"/>.</summary>
        private sealed class PointRead(SqliteStatement statement) : IStoredRow
        {
            public SqliteStatement Statement { get; } = statement;

            public bool IsNull(int column) => Statement.IsNull(column);

            public string? Text(int column) => Statement.Text(column);

            public long Int64(int column) => Statement.Int64(column);

            public byte[]? Utf8(int column) => Statement.Utf8(column);
        }
    }
}
