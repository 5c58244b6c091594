using System.Security.Cryptography;
using Sluice.Admin;
using Sluice.Storage;

namespace Sluice.Workspace;

/// <summary>
/// Applies the workspace at start-up: reconciles the file's sources into the store (or creates a
/// default source on a first start without a file) and makes sure an owner admin token exists.
/// What a person must see once (generated write keys, a new token) is returned as announcements.
/// </summary>
internal static class WorkspaceBootstrap
{
    public const string DefaultSourceId = "default";

    public sealed record Result(IReadOnlyList<StoredSource> Sources, IReadOnlyList<StoredSource> GeneratedWriteKeys, string? NewOwnerToken);

    public static Result Apply(WorkspaceDefinition? file, string? configuredAdminToken, IWorkspaceStore store, TimeProvider time)
    {
        var stored = store.ReadSources().ToDictionary(s => s.Id, StringComparer.Ordinal);
        var generated = new List<StoredSource>();
        List<StoredSource> sources;
        if (file is not null)
        {
            sources = [];
            foreach (var source in file.Sources)
            {
                var key = source.WriteKey ?? stored.GetValueOrDefault(source.Id)?.WriteKey;
                var resolved = new StoredSource(source.Id, source.Name, key ?? NewWriteKey());
                if (key is null)
                {
                    generated.Add(resolved);
                }

                sources.Add(resolved);
            }

            store.ReplaceSources(sources);
            // Sources made through the Admin API live on next to the file's, unless the file now declares the id.
            sources.AddRange(stored.Values.Where(s => s.ManagedBy == SourceManagement.Api && !sources.Any(f => f.Id == s.Id)));
        }
        else if (stored.Count == 0)
        {
            var source = new StoredSource(DefaultSourceId, "Default", NewWriteKey()) { ManagedBy = SourceManagement.Api };
            generated.Add(source);
            sources = [source];
            store.ReplaceSources(sources);
        }
        else
        {
            // Without a file, nothing but the API manages sources (a source kept from an earlier file included).
            sources = [.. stored.Values.Select(s => s with { ManagedBy = SourceManagement.Api })];
            foreach (var source in sources.Where(s => stored[s.Id].ManagedBy != SourceManagement.Api))
            {
                store.SaveSource(source);
            }
        }

        string? newOwnerToken = null;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!string.IsNullOrEmpty(configuredAdminToken))
        {
            // The variable's token replaces the one a previous value of the variable made.
            var hash = AdminTokens.Hash(configuredAdminToken);
            store.ReplaceEnvironmentAdminToken("env-" + Convert.ToHexStringLower(hash)[..16], hash, AdminTokens.OwnerScope, "SLUICE_ADMIN_TOKEN", now);
        }
        else if (!store.HasAdminTokens())
        {
            newOwnerToken = AdminTokens.NewToken(AdminTokens.OwnerScope);
            store.AddAdminToken("owner", AdminTokens.Hash(newOwnerToken), AdminTokens.OwnerScope, "first owner", now);
        }

        return new Result(sources, generated, newOwnerToken);
    }

    public static string NewWriteKey() => "wk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
