using Sluice.Infrastructure;
using Sluice.Storage.Postgres;

namespace Sluice.Workspace;

/// <summary>Nodes that start together on an empty shared store apply the first start's defaults once.</summary>
public sealed class WorkspaceBootstrapTests
{
    [Fact]
    public async Task Nodes_starting_together_make_one_owner_token_and_one_default_source_between_them()
    {
        var connection = PostgresServer.NewDatabase();
        var databases = Enumerable.Range(0, 4).Select(_ => new PostgresDatabase(connection)).ToList();

        var applied = await Task.WhenAll(databases.Select(d => Task.Run(() => WorkspaceBootstrap.Apply(null, null, new PostgresWorkspaceStore(d), TimeProvider.System))));

        Assert.Single(applied, a => a.NewOwnerToken is not null);
        Assert.Single(applied, a => a.GeneratedWriteKeys.Count == 1);
        var stored = new PostgresWorkspaceStore(databases[0]);
        Assert.Single(stored.ListAdminTokens());
        Assert.Equal(applied.Single(a => a.GeneratedWriteKeys.Count == 1).GeneratedWriteKeys[0].WriteKey, Assert.Single(stored.ReadSources()).WriteKey);
        databases.ForEach(d => d.Dispose());
    }
}
