using System.Text.Json;
using Npgsql;

namespace Sluice.Storage.Postgres;

/// <summary>Sources, admin tokens, API destinations and credential checks on PostgreSQL; triggers move the workspace version.</summary>
internal sealed class PostgresWorkspaceStore(PostgresDatabase database) : IWorkspaceStore
{
    /// <summary>A session advisory lock on a session of its own: released on dispose (the session ends), or by PostgreSQL if the node dies holding it.</summary>
    public IDisposable HoldStartupLock()
    {
        var connection = database.SessionDataSource.OpenConnection();
        using var take = new NpgsqlCommand($"SELECT pg_advisory_lock({PostgresSchema.StartupLock})", connection);
        take.ExecuteNonQuery();
        return new StartupLock(connection);
    }

    private sealed class StartupLock(NpgsqlConnection connection) : IDisposable
    {
        public void Dispose() => connection.Dispose();
    }

    public long ReadVersion() => Scalar<long>("SELECT version FROM workspace_version");

    public IReadOnlyList<string> ReadSuppressedSubjects()
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT hash FROM suppressed_subjects", connection);
        using var reader = command.ExecuteReader();
        var hashes = new List<string>();
        while (reader.Read())
        {
            hashes.Add(reader.GetString(0));
        }

        return hashes;
    }

    public IReadOnlyList<StoredSource> ReadSources()
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT id, name, write_key, managed_by, previous_write_key, previous_valid_until, allowed_origins FROM sources ORDER BY id", connection);
        using var reader = command.ExecuteReader();
        var sources = new List<StoredSource>();
        while (reader.Read())
        {
            sources.Add(StoredRows.Source(reader));
        }

        return sources;
    }

    public void ReplaceSources(IReadOnlyList<StoredSource> fileSources)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using (var delete = new NpgsqlCommand("DELETE FROM sources WHERE managed_by <> 'api'", connection, transaction))
        {
            delete.ExecuteNonQuery();
        }

        foreach (var source in fileSources)
        {
            Upsert(connection, transaction, source);
        }

        transaction.Commit();
    }

    public void SaveSource(StoredSource source)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        Upsert(connection, transaction, source);
        transaction.Commit();
    }

    public bool DeleteSource(string id) => Execute("DELETE FROM sources WHERE id = $1", id) > 0;

    private static void Upsert(NpgsqlConnection connection, NpgsqlTransaction transaction, StoredSource source)
    {
        using var command = new NpgsqlCommand("""
            INSERT INTO sources (id, name, write_key, managed_by, previous_write_key, previous_valid_until, allowed_origins) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, write_key = excluded.write_key, managed_by = excluded.managed_by,
                previous_write_key = excluded.previous_write_key, previous_valid_until = excluded.previous_valid_until, allowed_origins = excluded.allowed_origins
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = source.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = source.Name });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = source.WriteKey });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = source.ManagedBy });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = source.PreviousWriteKey });
        command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = source.PreviousValidUntil });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = source.AllowedOrigins is { } origins ? JsonSerializer.Serialize(origins) : null });
        command.ExecuteNonQuery();
    }

    public bool HasAdminTokens() => Scalar<bool>("SELECT EXISTS (SELECT 1 FROM admin_tokens)");

    public void AddAdminToken(string id, byte[] tokenHash, string scope, string name, long createdAt) =>
        Execute("INSERT INTO admin_tokens (id, token_hash, scope, name, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (token_hash) DO NOTHING", id, tokenHash, scope, name, createdAt);

    public void ReplaceEnvironmentAdminToken(string id, byte[] tokenHash, string scope, string name, long createdAt)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using (var delete = new NpgsqlCommand("DELETE FROM admin_tokens WHERE id LIKE 'env-%' AND token_hash <> $1", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = tokenHash });
            delete.ExecuteNonQuery();
        }

        using (var insert = new NpgsqlCommand("INSERT INTO admin_tokens (id, token_hash, scope, name, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", connection, transaction))
        {
            AddParameters(insert, id, tokenHash, scope, name, createdAt);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public StoredAdminToken? FindAdminToken(byte[] tokenHash)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT id, name, scope, created_at FROM admin_tokens WHERE token_hash = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = tokenHash });
        using var reader = command.ExecuteReader();
        return reader.Read() ? new StoredAdminToken(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)) : null;
    }

    public IReadOnlyList<StoredAdminToken> ListAdminTokens()
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT id, name, scope, created_at FROM admin_tokens ORDER BY created_at, id", connection);
        using var reader = command.ExecuteReader();
        var tokens = new List<StoredAdminToken>();
        while (reader.Read())
        {
            tokens.Add(new StoredAdminToken(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }

        return tokens;
    }

    public byte[]? RevokeAdminToken(string id)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("DELETE FROM admin_tokens WHERE id = $1 RETURNING token_hash", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return command.ExecuteScalar() as byte[];
    }

    public IReadOnlyList<StoredApiDestination> ListApiDestinations()
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT id, definition, protected_settings, created_at, updated_at FROM api_destinations ORDER BY created_at, id", connection);
        using var reader = command.ExecuteReader();
        var destinations = new List<StoredApiDestination>();
        while (reader.Read())
        {
            destinations.Add(new StoredApiDestination(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return destinations;
    }

    public void SaveApiDestination(StoredApiDestination destination) =>
        Execute("""
            INSERT INTO api_destinations (id, definition, protected_settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, protected_settings = excluded.protected_settings, updated_at = excluded.updated_at
            """, destination.Id, destination.Definition, destination.ProtectedSettings, destination.CreatedAt, destination.UpdatedAt);

    public bool DeleteApiDestination(string id) => Execute("DELETE FROM api_destinations WHERE id = $1", id) > 0;

    public AuthenticationCheck? ReadAuthenticationCheck(string destinationId)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT fingerprint, valid, message, checked_at FROM authentication_checks WHERE destination_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = destinationId });
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new AuthenticationCheck(destinationId, reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetBoolean(1), reader.GetString(2), reader.GetInt64(3))
            : null;
    }

    public (string Json, long UpdatedAt, string Actor)? ReadRetentionSettings()
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT settings, updated_at, actor FROM retention_settings WHERE id = 1", connection);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), reader.GetInt64(1), reader.GetString(2)) : null;
    }

    public void SaveRetentionSettings(string json, long updatedAt, string actor)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("""
            INSERT INTO retention_settings (id, settings, updated_at, actor) VALUES (1, $1, $2, $3)
            ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, actor = excluded.actor
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = json });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = updatedAt });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = actor });
        command.ExecuteNonQuery();
    }

    public void RecordAuthenticationCheck(AuthenticationCheck check)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("""
            INSERT INTO authentication_checks (destination_id, fingerprint, valid, message, checked_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (destination_id) DO UPDATE SET fingerprint = excluded.fingerprint, valid = excluded.valid, message = excluded.message, checked_at = excluded.checked_at
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = check.DestinationId });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = check.Fingerprint });
        command.Parameters.Add(new NpgsqlParameter<bool?> { TypedValue = check.Valid });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = check.Message });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = check.CheckedAt });
        command.ExecuteNonQuery();
    }

    private T Scalar<T>(string sql)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return (T)command.ExecuteScalar()!;
    }

    private int Execute(string sql, params object[] values)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand(sql, connection);
        AddParameters(command, values);
        return command.ExecuteNonQuery();
    }

    private static void AddParameters(NpgsqlCommand command, params object[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
    }
}
