using Sluice.Hosting;

namespace Sluice.Infrastructure;

/// <summary>
/// The store the servers of this test assembly run on when a test does not choose: the embedded store,
/// or PostgreSQL in Sluice.Tests.Postgres, which runs the same end-to-end tests again on a database per
/// data folder (a restart, or a second node on the same folder, finds the same database).
/// </summary>
internal static class TestStore
{
    public static bool Postgres { get; set; }

    /// <summary>
    /// What the store keeps at rest, as text, to look for a secret in: the data folder's files (but the
    /// key files), or on PostgreSQL the rows of the tables that hold configuration.
    /// </summary>
    public static IEnumerable<string> TextAtRest(string dataDirectory)
    {
        if (!Postgres)
        {
            return Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories)
                .Where(f => !f.Contains("keys", StringComparison.Ordinal))
                .Select(f => System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(f)));
        }

        using var connection = new Npgsql.NpgsqlConnection(PostgresServer.DatabaseFor(dataDirectory));
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand("SELECT id || definition || protected_settings FROM sluice.api_destinations UNION ALL SELECT id || name FROM sluice.sources", connection);
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    /// <summary>
    /// Everything the store holds, as text, to look for a person's data in: the data folder's files as they
    /// are on disk (free pages and the WAL included), or on PostgreSQL every row of every table of the schema.
    /// </summary>
    public static string EverythingAtRest(string dataDirectory)
    {
        if (!Postgres)
        {
            return string.Concat(Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories)
                .Select(f => System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(f))));
        }

        using var connection = new Npgsql.NpgsqlConnection(PostgresServer.DatabaseFor(dataDirectory));
        connection.Open();
        var tables = new List<string>();
        using (var list = new Npgsql.NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'sluice'", connection))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var text = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            // bytea columns (the log's messages, payloads) as UTF-8 text, the rest as JSON.
            using var rows = new Npgsql.NpgsqlCommand($"SELECT * FROM sluice.{table}", connection);
            using var reader = rows.ExecuteReader();
            while (reader.Read())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    text.Append(reader.IsDBNull(i) ? "" : reader.GetValue(i) is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).Append('\t');
                }
            }
        }

        return text.ToString();
    }

    /// <summary>The options on PostgreSQL when this assembly runs there and the test kept the embedded store.</summary>
    public static ServeOptions Apply(ServeOptions options) =>
        Postgres && options.Store == StoreKind.Sqlite
            ? options with { Store = StoreKind.Postgres, PostgresConnection = PostgresServer.DatabaseFor(options.DataDirectory) }
            : options;
}
