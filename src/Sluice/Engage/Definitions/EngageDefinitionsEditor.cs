using Sluice.Engage.Computation;
using Sluice.Engage.Store;
using Sluice.Profiles;
using Sluice.Routing;
using Sluice.Workspace;

namespace Sluice.Engage.Definitions;

/// <summary>Why a change of definitions is refused: an HTTP status, a code and the problems (by field).</summary>
internal sealed class EngageEditRefusedException(int status, string code, IReadOnlyList<EngageProblem> problems)
    : Exception(string.Join("; ", problems.Select(p => $"{p.Field}: {p.Message}")))
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public IReadOnlyList<EngageProblem> Problems { get; } = problems;
}

/// <summary>
/// Makes, changes and deletes computed traits and audiences through the Admin API. They are stored, and
/// each change is a profiles step (one at a time with the computation); every node loads them at its next
/// step. The workspace file's definitions are read-only here; keys are unique across both, and fixed once made.
/// </summary>
internal sealed class EngageDefinitionsEditor(IProfileStore store, Engagement engagement, RoutingTable routing, TimeProvider time)
{
    public StoredEngageDefinition Create(EngageDefinitionInput input, string actor)
    {
        if (engagement.Source.File.Defines(input.Key))
        {
            throw Refused(409, "managed_by_file", "key", $"'{input.Key}' is defined in the workspace file: change it there");
        }

        if (store.StoredEngageDefinitions().Any(d => d.Key == input.Key))
        {
            throw Refused(409, "key_taken", "key", $"'{input.Key}' is the key of a computed trait or audience already: keys are unique across both");
        }

        return Save(input, actor, createdAt: null);
    }

    public StoredEngageDefinition Update(string key, EngageDefinitionInput input, string actor)
    {
        if (engagement.Source.File.Defines(key))
        {
            throw Refused(409, "managed_by_file", "key", $"'{key}' is defined in the workspace file: change it there");
        }

        var existing = store.StoredEngageDefinitions().FirstOrDefault(d => d.Key == key)
            ?? throw Refused(404, "not_found", "key", $"no computed trait or audience '{key}' made through the Admin API");
        if (input.Key != key || input.Kind != existing.Kind)
        {
            throw Refused(400, "invalid_definition", "key", "a definition's key and kind are fixed once it is made: make another one");
        }

        return Save(input, actor, existing.CreatedAt);
    }

    public void Delete(string key)
    {
        if (engagement.Source.File.Defines(key))
        {
            throw Refused(409, "managed_by_file", "key", $"'{key}' is defined in the workspace file: remove it there");
        }

        if (store.StoredEngageDefinitions().All(d => d.Key != key))
        {
            throw Refused(404, "not_found", "key", $"no computed trait or audience '{key}' made through the Admin API");
        }

        var users = engagement.Current(store).Audiences.Where(a => a.Key != key && EngageDefinitions.TraitConditions(a.Condition).Any(t => t.Key == key)).Select(a => a.Key).ToList();
        if (users.Count > 0)
        {
            throw Refused(409, "in_use", "key", $"'{key}' is used by {string.Join(", ", users)}: change those first");
        }

        store.RunStep(_ => [new EngageDefinitionDeleted(key)], [], changesGraph: false);
    }

    private StoredEngageDefinition Save(EngageDefinitionInput input, string actor, long? createdAt)
    {
        var problems = input.Destinations.Select((c, i) => (c, i))
            .Where(x => routing.Find(x.c.DestinationId) is null)
            .Select(x => new EngageProblem($"destinations[{x.i}]", $"no destination '{x.c.DestinationId}' in this workspace"))
            .ToList();
        if (problems.Count > 0)
        {
            throw new EngageEditRefusedException(400, "invalid_definition", problems);
        }

        var (trait, audience, _) = input.Build();
        var current = engagement.Current(store);
        try
        {
            _ = new EngageDefinitions(
                [.. current.Traits.Where(t => t.Key != input.Key), .. trait is null ? [] : new[] { trait }],
                [.. current.Audiences.Where(a => a.Key != input.Key), .. audience is null ? [] : new[] { audience }]);
        }
        catch (EngageDefinitionException refused)
        {
            throw Refused(400, "invalid_definition", "query", refused.Reason);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var stored = new StoredEngageDefinition(input.Key, input.Kind, input.Name, input.Query, input.IncludeAnonymous, input.DestinationsJson().ToJsonString(), createdAt ?? now, now, actor);
        store.RunStep(_ => [new EngageDefinitionSaved(stored)], [], changesGraph: false);
        return stored;
    }

    private static EngageEditRefusedException Refused(int status, string code, string field, string message) => new(status, code, [new EngageProblem(field, message)]);
}
