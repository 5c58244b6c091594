using Sluice.Engage.Store;
using Sluice.Profiles;
using Sluice.Workspace;

namespace Sluice.Engage.Definitions;

/// <summary>
/// The computed traits and audiences in force: the workspace file's, and those made through the Admin API
/// (stored, so every node has them), reloaded when their version in the store moves. A stored definition
/// whose key the file also defines is left out: the file's wins.
/// </summary>
internal sealed partial class EngageDefinitionsSource(EngageDefinitions file, bool readsStore, ILogger? logger = null)
{
    private volatile Loaded _loaded = new(-1, file);

    /// <summary>The workspace file's definitions (read-only through the Admin API).</summary>
    public EngageDefinitions File => file;

    /// <summary>The definitions as last loaded.</summary>
    public EngageDefinitions Last => _loaded.Definitions;

    /// <summary>The definitions in force, as of the store's version <paramref name="version"/>.</summary>
    public EngageDefinitions Current(long version, Func<IReadOnlyList<StoredEngageDefinition>> stored)
    {
        if (!readsStore)
        {
            return file;
        }

        var loaded = _loaded;
        if (loaded.Version == version)
        {
            return loaded.Definitions;
        }

        var definitions = Combine(file, stored());
        _loaded = new Loaded(version, definitions);
        return definitions;
    }

    public EngageDefinitions Current(IProfileStore store) => Current(readsStore ? store.EngageDefinitionsVersion() : 0, store.StoredEngageDefinitions);

    public EngageDefinitions Current(IProfileGraphReader reader) => Current(readsStore ? reader.EngageDefinitionsVersion() : 0, reader.StoredEngageDefinitions);

    /// <summary>The file's definitions with the stored ones; one that cannot stand with the others (a cycle) is left out, and logged.</summary>
    public EngageDefinitions Combine(EngageDefinitions fromFile, IReadOnlyList<StoredEngageDefinition> stored)
    {
        var traits = fromFile.Traits.ToList();
        var audiences = fromFile.Audiences.ToList();
        foreach (var definition in stored.Where(d => !fromFile.Defines(d.Key)))
        {
            var (trait, audience, problem) = EngageDefinitionInput.FromStored(definition).Build();
            if (problem is not null)
            {
                if (logger is not null)
                {
                    LogLeftOut(logger, definition.Key, problem.Message);
                }

                continue;
            }

            var withIt = (trait is null ? traits : [.. traits, trait], audience is null ? audiences : [.. audiences, audience]);
            try
            {
                _ = new EngageDefinitions(withIt.Item1, withIt.Item2);
                (traits, audiences) = withIt;
            }
            catch (EngageDefinitionException refused)
            {
                if (logger is not null)
                {
                    LogLeftOut(logger, definition.Key, refused.Reason);
                }
            }
        }

        return new EngageDefinitions(traits, audiences);
    }

    private sealed record Loaded(long Version, EngageDefinitions Definitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engage: the stored definition {Key} is left out: {Reason}")]
    private static partial void LogLeftOut(ILogger logger, string key, string reason);
}
