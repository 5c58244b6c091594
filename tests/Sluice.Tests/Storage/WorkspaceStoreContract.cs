namespace Sluice.Storage;

/// <summary>What every backend promises for the workspace's tables: sources, tokens, API destinations, credential checks, and the version that moves with each.</summary>
public abstract class WorkspaceStoreContract : IDisposable
{
    private readonly StoreBackend _backend;

    private protected WorkspaceStoreContract(StoreBackend backend) => _backend = backend;

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void The_file_decides_its_sources_and_the_APIs_sources_stay()
    {
        using var store = _backend.Open();
        store.Workspace.SaveSource(new StoredSource("mobile", "Mobile", "wk_mobile") { ManagedBy = SourceManagement.Api, AllowedOrigins = ["https://shop.example"] });
        store.Workspace.ReplaceSources([new StoredSource("web", "Web", "wk_web"), new StoredSource("old", "Old", "wk_old")]);

        store.Workspace.ReplaceSources([new StoredSource("web", "Website", "wk_web")]);

        var sources = store.Workspace.ReadSources().ToDictionary(s => s.Id);
        Assert.Equal(["mobile", "web"], sources.Keys.Order());
        Assert.Equal("Website", sources["web"].Name);
        Assert.Equal(["https://shop.example"], sources["mobile"].AllowedOrigins!);
        Assert.True(store.Workspace.DeleteSource("mobile"));
        Assert.False(store.Workspace.DeleteSource("mobile"));
    }

    [Fact]
    public void A_token_is_found_by_its_hash_until_it_is_revoked()
    {
        using var store = _backend.Open();
        byte[] hash = [1, 2, 3];
        store.Workspace.AddAdminToken("tok_1", hash, "workspace-member", "ci", 10);

        Assert.True(store.Workspace.HasAdminTokens());
        Assert.Equal("workspace-member", store.Workspace.FindAdminToken(hash)?.Role);
        Assert.Equal("ci", Assert.Single(store.Workspace.ListAdminTokens()).Name);
        Assert.Equal(hash, store.Workspace.RevokeAdminToken("tok_1"));
        Assert.Null(store.Workspace.FindAdminToken(hash)?.Role);
        Assert.Null(store.Workspace.RevokeAdminToken("tok_1"));
    }

    [Fact]
    public void Only_one_token_comes_from_the_environment()
    {
        using var store = _backend.Open();
        store.Workspace.ReplaceEnvironmentAdminToken("env-a", [1], "owner", "SLUICE_ADMIN_TOKEN", 1);
        store.Workspace.ReplaceEnvironmentAdminToken("env-b", [2], "owner", "SLUICE_ADMIN_TOKEN", 2);

        Assert.Null(store.Workspace.FindAdminToken([1])?.Role);
        Assert.Equal("owner", store.Workspace.FindAdminToken([2])?.Role);
    }

    [Fact]
    public void API_destinations_and_credential_checks_are_kept_and_replaced()
    {
        using var store = _backend.Open();
        store.Workspace.SaveApiDestination(new StoredApiDestination("hook", "{}", "secret-1", 1, 1));
        store.Workspace.SaveApiDestination(new StoredApiDestination("hook", """{"name":"Hook"}""", "secret-2", 1, 2));
        store.Workspace.RecordAuthenticationCheck(new AuthenticationCheck("hook", "f1", true, "ok", 3));

        var stored = Assert.Single(store.Workspace.ListApiDestinations());
        Assert.Equal(("secret-2", 2L), (stored.ProtectedSettings, stored.UpdatedAt));
        Assert.Equal("f1", store.Workspace.ReadAuthenticationCheck("hook")!.Fingerprint);
        Assert.True(store.Workspace.DeleteApiDestination("hook"));
        Assert.Empty(store.Workspace.ListApiDestinations());
    }

    [Fact]
    public void Every_change_of_sources_tokens_or_API_destinations_moves_the_version_seen_by_every_node()
    {
        using var a = _backend.Open();
        using var b = _backend.Open();
        var versions = new List<long> { b.Workspace.ReadVersion() };

        a.Workspace.SaveSource(new StoredSource("web", "Web", "wk_web"));
        versions.Add(b.Workspace.ReadVersion());
        a.Workspace.AddAdminToken("tok_1", [9], "read-only", "viewer", 1);
        versions.Add(b.Workspace.ReadVersion());
        a.Workspace.RevokeAdminToken("tok_1");
        versions.Add(b.Workspace.ReadVersion());
        a.Workspace.SaveApiDestination(new StoredApiDestination("hook", "{}", "s", 1, 1));
        versions.Add(b.Workspace.ReadVersion());
        a.Workspace.DeleteSource("web");
        versions.Add(b.Workspace.ReadVersion());
        a.Workspace.RecordAuthenticationCheck(new AuthenticationCheck("hook", "f", true, "ok", 1));

        Assert.Equal(versions.Count, versions.Distinct().Count());
        Assert.Equal(versions, versions.Order());
        // A credential check is not part of the workspace: it moves no version, so it rebuilds no cache.
        Assert.Equal(versions[^1], b.Workspace.ReadVersion());
    }
}

public sealed class SqliteWorkspaceStoreContract() : WorkspaceStoreContract(new SqliteBackend());

public sealed class PostgresWorkspaceStoreContract() : WorkspaceStoreContract(new PostgresBackend());
