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

    /// <summary>The options on PostgreSQL when this assembly runs there and the test kept the embedded store.</summary>
    public static ServeOptions Apply(ServeOptions options) =>
        Postgres && options.Store == StoreKind.Sqlite
            ? options with { Store = StoreKind.Postgres, PostgresConnection = PostgresServer.DatabaseFor(options.DataDirectory) }
            : options;
}
