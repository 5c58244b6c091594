using System.Text.RegularExpressions;
using Sluice.Storage;

namespace Sluice.Workspace;

/// <summary>
/// Sources made and changed through the Admin API: create, rename, delete, and rotate the write
/// key (the old key keeps working for a grace period, so that clients can move over). Sources the
/// workspace file declares are changed in the file.
/// </summary>
internal sealed partial class ApiSources(IWorkspaceStore store, SourceRegistry registry, ApiDestinations destinations, WorkspaceChanges changes, TimeProvider time)
{
    private readonly Lock _lock = new();

    public (StoredSource? Source, DestinationProblem? Problem) Create(string? id, string? name, IReadOnlyList<string>? allowedOrigins = null)
    {
        if (id is null || !IdPattern().IsMatch(id))
        {
            return (null, new DestinationProblem("id", "use 1–63 characters of a-z, 0-9 and '-', starting with a letter or digit"));
        }

        lock (_lock)
        {
            if (registry.FindById(id) is not null)
            {
                return (null, new DestinationProblem("id", $"a source with the id '{id}' exists already"));
            }

            var source = new StoredSource(id, string.IsNullOrWhiteSpace(name) ? id : name.Trim(), WorkspaceBootstrap.NewWriteKey()) { ManagedBy = SourceManagement.Api, AllowedOrigins = allowedOrigins };
            return (Save(source), null);
        }
    }

    /// <summary>Changes a source's name and, when <paramref name="changeOrigins"/>, its allowed origins (null: any).</summary>
    public StoredSource? Change(string id, string? name, bool changeOrigins, IReadOnlyList<string>? allowedOrigins)
    {
        lock (_lock)
        {
            return registry.Stored(id) is { } source
                ? Save(source with { Name = name?.Trim() ?? source.Name, AllowedOrigins = changeOrigins ? allowedOrigins : source.AllowedOrigins })
                : null;
        }
    }

    /// <summary>A new write key; the current one stays valid for <paramref name="grace"/>.</summary>
    public StoredSource? Rotate(string id, TimeSpan grace)
    {
        lock (_lock)
        {
            return registry.Stored(id) is { } source
                ? Save(source with
                {
                    WriteKey = WorkspaceBootstrap.NewWriteKey(),
                    PreviousWriteKey = grace > TimeSpan.Zero ? source.WriteKey : null,
                    PreviousValidUntil = grace > TimeSpan.Zero ? time.GetUtcNow().Add(grace).ToUnixTimeMilliseconds() : null,
                })
                : null;
        }
    }

    /// <summary>Deletes a source no destination reads from; returns the destinations that still do, if any.</summary>
    public (bool Deleted, IReadOnlyList<string> UsedBy) Delete(string id)
    {
        lock (_lock)
        {
            var usedBy = destinations.All().Where(d => d.Instance.Sources.Contains(id)).Select(d => d.Instance.Id).ToList();
            if (usedBy.Count > 0 || registry.Stored(id) is null)
            {
                return (false, usedBy);
            }

            store.DeleteSource(id);
            changes.Refresh();
            return (true, []);
        }
    }

    private StoredSource Save(StoredSource source)
    {
        store.SaveSource(source);
        changes.Refresh();
        return source;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex IdPattern();
}
