using Npgsql;
using Sluice.Infrastructure;

namespace Sluice.Storage.Postgres;

/// <summary>The PostgreSQL schema is created and migrated by whichever nodes start, together or not, and a newer one is refused.</summary>
public sealed class PostgresSchemaTests
{
    [Fact]
    public async Task Nodes_starting_together_on_an_empty_database_apply_each_version_once()
    {
        var connection = PostgresServer.NewDatabase();

        var nodes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => new PostgresDatabase(connection))));

        using var check = new NpgsqlConnection(connection);
        check.Open();
        using var versions = new NpgsqlCommand("SELECT array_agg(version ORDER BY version) FROM sluice.schema_version", check);
        Assert.Equal(Enumerable.Range(1, PostgresSchema.Latest), (int[])versions.ExecuteScalar()!);
        foreach (var node in nodes)
        {
            node.Dispose();
        }
    }

    [Fact]
    public void A_store_migrated_by_a_newer_Sluice_is_refused_naming_both_versions()
    {
        var connection = PostgresServer.NewDatabase();
        new PostgresDatabase(connection).Dispose();
        using (var newer = new NpgsqlConnection(connection))
        {
            newer.Open();
            using var bump = new NpgsqlCommand($"INSERT INTO sluice.schema_version (version) VALUES ({PostgresSchema.Latest + 5})", newer);
            bump.ExecuteNonQuery();
        }

        var refused = Assert.Throws<StoreSchemaTooNewException>(() => new PostgresDatabase(connection));

        Assert.Contains($"version {PostgresSchema.Latest + 5}", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"up to {PostgresSchema.Latest}", refused.Message, StringComparison.Ordinal);
    }
}
