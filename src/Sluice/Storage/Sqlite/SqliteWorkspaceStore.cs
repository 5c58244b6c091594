using Microsoft.Data.Sqlite;

namespace Sluice.Storage.Sqlite;

internal sealed class SqliteWorkspaceStore(SqliteDatabase database) : IWorkspaceStore
{
    /// <summary>One process uses an embedded store: there is no one to wait for.</summary>
    public IDisposable HoldStartupLock() => NoLock.Instance;

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose()
        {
        }
    }

    public long ReadVersion()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM workspace_version";
        return (long)command.ExecuteScalar()!;
    }

    public IReadOnlyList<string> ReadSuppressedSubjects()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT hash FROM suppressed_subjects";
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
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, write_key, managed_by, previous_write_key, previous_valid_until, allowed_origins FROM sources ORDER BY id";
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
        using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM sources WHERE managed_by <> 'api'";
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

    public bool DeleteSource(string id) => DeleteById("sources", id);

    /// <param name="table">One of this store's own tables (never input).</param>
    private bool DeleteById(string table, string id)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM {table} WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery() > 0;
    }

    private static void Upsert(SqliteConnection connection, SqliteTransaction transaction, StoredSource source)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO sources (id, name, write_key, managed_by, previous_write_key, previous_valid_until, allowed_origins) VALUES ($id, $name, $key, $managed, $previous, $until, $origins)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, write_key = excluded.write_key, managed_by = excluded.managed_by,
                previous_write_key = excluded.previous_write_key, previous_valid_until = excluded.previous_valid_until, allowed_origins = excluded.allowed_origins
            """;
        command.Parameters.AddWithValue("$id", source.Id);
        command.Parameters.AddWithValue("$name", source.Name);
        command.Parameters.AddWithValue("$key", source.WriteKey);
        command.Parameters.AddWithValue("$managed", source.ManagedBy);
        command.Parameters.AddWithValue("$previous", (object?)source.PreviousWriteKey ?? DBNull.Value);
        command.Parameters.AddWithValue("$until", (object?)source.PreviousValidUntil ?? DBNull.Value);
        command.Parameters.AddWithValue("$origins", source.AllowedOrigins is { } origins ? System.Text.Json.JsonSerializer.Serialize(origins) : DBNull.Value);
        command.ExecuteNonQuery();
    }

    public bool HasAdminTokens()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM admin_tokens)";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    public void AddAdminToken(string id, byte[] tokenHash, string scope, string name, long createdAt)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO admin_tokens (id, token_hash, scope, name, created_at) VALUES ($id, $hash, $scope, $name, $at)
            ON CONFLICT (token_hash) DO NOTHING
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$hash", tokenHash);
        command.Parameters.AddWithValue("$scope", scope);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$at", createdAt);
        command.ExecuteNonQuery();
    }

    public void ReplaceEnvironmentAdminToken(string id, byte[] tokenHash, string scope, string name, long createdAt)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            DELETE FROM admin_tokens WHERE id LIKE 'env-%' AND token_hash <> $hash;
            INSERT INTO admin_tokens (id, token_hash, scope, name, created_at) VALUES ($id, $hash, $scope, $name, $at)
            ON CONFLICT DO NOTHING;
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$hash", tokenHash);
        command.Parameters.AddWithValue("$scope", scope);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$at", createdAt);
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    public StoredAdminToken? FindAdminToken(byte[] tokenHash)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, scope, created_at FROM admin_tokens WHERE token_hash = $hash";
        command.Parameters.AddWithValue("$hash", tokenHash);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new StoredAdminToken(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)) : null;
    }

    public AuthenticationCheck? ReadAuthenticationCheck(string destinationId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT fingerprint, valid, message, checked_at FROM authentication_checks WHERE destination_id = $id";
        command.Parameters.AddWithValue("$id", destinationId);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new AuthenticationCheck(destinationId, reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1) == 1, reader.GetString(2), reader.GetInt64(3))
            : null;
    }

    public (string Json, long UpdatedAt, string Actor)? ReadRetentionSettings()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT settings, updated_at, actor FROM retention_settings WHERE id = 1";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), reader.GetInt64(1), reader.GetString(2)) : null;
    }

    public void SaveRetentionSettings(string json, long updatedAt, string actor)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO retention_settings (id, settings, updated_at, actor) VALUES (1, $settings, $at, $actor)
            ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, actor = excluded.actor
            """;
        command.Parameters.AddWithValue("$settings", json);
        command.Parameters.AddWithValue("$at", updatedAt);
        command.Parameters.AddWithValue("$actor", actor);
        command.ExecuteNonQuery();
    }

    public void RecordAuthenticationCheck(AuthenticationCheck check)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO authentication_checks (destination_id, fingerprint, valid, message, checked_at) VALUES ($id, $fingerprint, $valid, $message, $at)
            ON CONFLICT (destination_id) DO UPDATE SET fingerprint = excluded.fingerprint, valid = excluded.valid, message = excluded.message, checked_at = excluded.checked_at
            """;
        command.Parameters.AddWithValue("$id", check.DestinationId);
        command.Parameters.AddWithValue("$fingerprint", (object?)check.Fingerprint ?? DBNull.Value);
        command.Parameters.AddWithValue("$valid", check.Valid is { } valid ? (valid ? 1 : 0) : DBNull.Value);
        command.Parameters.AddWithValue("$message", check.Message);
        command.Parameters.AddWithValue("$at", check.CheckedAt);
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<StoredAdminToken> ListAdminTokens()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, scope, created_at FROM admin_tokens ORDER BY created_at, id";
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
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM admin_tokens WHERE id = $id RETURNING token_hash";
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteScalar() as byte[];
    }

    public IReadOnlyList<StoredApiDestination> ListApiDestinations()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, definition, protected_settings, created_at, updated_at FROM api_destinations ORDER BY created_at, id";
        using var reader = command.ExecuteReader();
        var destinations = new List<StoredApiDestination>();
        while (reader.Read())
        {
            destinations.Add(new StoredApiDestination(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return destinations;
    }

    public void SaveApiDestination(StoredApiDestination destination)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO api_destinations (id, definition, protected_settings, created_at, updated_at) VALUES ($id, $definition, $settings, $created, $updated)
            ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, protected_settings = excluded.protected_settings, updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$id", destination.Id);
        command.Parameters.AddWithValue("$definition", destination.Definition);
        command.Parameters.AddWithValue("$settings", destination.ProtectedSettings);
        command.Parameters.AddWithValue("$created", destination.CreatedAt);
        command.Parameters.AddWithValue("$updated", destination.UpdatedAt);
        command.ExecuteNonQuery();
    }

    public bool DeleteApiDestination(string id) => DeleteById("api_destinations", id);
}
