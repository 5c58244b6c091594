using System.Security.Cryptography;
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
        using var startup = store.HoldStartupLock();
        var stored = store.ReadSources().ToDictionary(s => s.Id, StringComparer.Ordinal);
        var generated = new List<StoredSource>();
        List<StoredSource> sources;
        if (file is not null)
        {
            sources = [];
            foreach (var source in file.Sources)
            {
                var key = source.WriteKey ?? stored.GetValueOrDefault(source.Id)?.WriteKey;
                var resolved = new StoredSource(source.Id, source.Name, key ?? NewWriteKey()) { AllowedOrigins = source.AllowedOrigins };
                if (key is null)
                {
                    generated.Add(resolved);
                }

                sources.Add(resolved);
            }

            // Sources made through the Admin API live on next to the file's, unless the file now declares the id.
            var apiSources = stored.Values.Where(s => s.ManagedBy == SourceManagement.Api && !sources.Any(f => f.Id == s.Id)).ToList();
            if (apiSources.FirstOrDefault(a => sources.Any(f => f.WriteKey == a.WriteKey)) is { } clash)
            {
                // Two sources cannot share a write key: say which, rather than route a key's events to a guess.
                throw new WorkspaceFileException([$"source '{sources.First(f => f.WriteKey == clash.WriteKey).Id}': its writeKey is the write key of source '{clash.Id}', made through the Admin API; give one of them another key"]);
            }

            store.ReplaceSources(sources);
            sources.AddRange(apiSources);
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
            var hash = AdminTokenValues.Hash(configuredAdminToken);
            store.ReplaceEnvironmentAdminToken("env-" + Convert.ToHexStringLower(hash)[..16], hash, AdminTokenValues.OwnerScope, "SLUICE_ADMIN_TOKEN", now);
        }
        else if (!store.HasAdminTokens())
        {
            newOwnerToken = AdminTokenValues.NewToken(AdminTokenValues.OwnerScope);
            store.AddAdminToken("owner", AdminTokenValues.Hash(newOwnerToken), AdminTokenValues.OwnerScope, "first owner", now);
        }

        return new Result(sources, generated, newOwnerToken);
    }

    public static string NewWriteKey() => "wk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
