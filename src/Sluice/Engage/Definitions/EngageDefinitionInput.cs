using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Engage.Store;
using Sluice.Profiles;
using Sluice.Workspace;

namespace Sluice.Engage.Definitions;

/// <summary>A field of a definition that is wrong, and why (<see cref="Field"/>: its path in the request, such as <c>destinations[0].id</c>).</summary>
internal sealed record EngageProblem(string Field, string Message);

/// <summary>
/// A computed trait or audience as the Admin API and the web app send it: <c>name</c>, optional
/// <c>key</c> (the name in snake_case otherwise), <c>query</c>, <c>includeAnonymous</c> and <c>destinations</c>
/// (ids, or objects of an <c>id</c> and the connection's settings), the shape of the workspace file's entries.
/// </summary>
internal sealed record EngageDefinitionInput(string Kind, string Key, string Name, string Query, bool IncludeAnonymous, IReadOnlyList<EngageConnection> Destinations)
{
    public const string Trait = "trait";
    public const string Audience = "audience";

    /// <summary>The definition, or why not (a query that does not parse: the field is <c>query</c>).</summary>
    public (ComputedTraitDefinition? Trait, AudienceDefinition? Audience, EngageProblem? Problem) Build()
    {
        try
        {
            return Kind == Trait
                ? (new ComputedTraitDefinition(Key, Name, Query, EngageQueryParser.ParseComputedTrait(Query), IncludeAnonymous) { Destinations = Destinations }, null, null)
                : (null, new AudienceDefinition(Key, Name, Query, EngageQueryParser.ParseAudience(Query), IncludeAnonymous) { Destinations = Destinations }, null);
        }
        catch (EngageQueryException invalid)
        {
            return (null, null, new EngageProblem("query", invalid.Message));
        }
    }

    public static EngageDefinitionInput FromStored(StoredEngageDefinition stored) =>
        new(stored.Kind, stored.Key, stored.Name, stored.Query, stored.IncludeAnonymous, ReadConnections(JsonNode.Parse(stored.Destinations) as JsonArray, []));

    /// <summary>Reads a request's body; problems name the field.</summary>
    public static (EngageDefinitionInput? Input, List<EngageProblem> Problems) FromJson(JsonObject body, string kind)
    {
        var problems = new List<EngageProblem>();
        foreach (var (name, _) in body)
        {
            if (name is not ("key" or "name" or "query" or "includeAnonymous" or "destinations"))
            {
                problems.Add(new EngageProblem(name, $"unknown field: a {(kind == Trait ? "computed trait" : "audience")} has key, name, query, includeAnonymous and destinations"));
            }
        }

        var nameText = Text(body, "name", problems, required: true);
        var query = Text(body, "query", problems, required: true);
        var key = Text(body, "key", problems, required: false) ?? (nameText is null ? null : EngageDefinitions.KeyOf(nameText));
        if (key is not null && !EngageDefinitions.IsKey(key))
        {
            problems.Add(new EngageProblem("key", $"'{key}' is not a key: lowercase letters, digits and '_', starting with a letter, at most 100 characters (what destinations receive as the trait's name)"));
        }

        var anonymous = false;
        if (body["includeAnonymous"] is { } flag)
        {
            if (flag.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                anonymous = flag.GetValue<bool>();
            }
            else
            {
                problems.Add(new EngageProblem("includeAnonymous", "must be true or false"));
            }
        }

        List<EngageConnection> connections = [];
        if (body["destinations"] is { } destinations)
        {
            if (destinations is JsonArray list)
            {
                connections = ReadConnections(list, problems);
            }
            else
            {
                problems.Add(new EngageProblem("destinations", "must be a list of destination ids or of objects with an id"));
            }
        }

        if (problems.Count > 0 || nameText is null || query is null || key is null)
        {
            return (null, problems);
        }

        var input = new EngageDefinitionInput(kind, key, nameText, query, anonymous, connections);
        if (input.Build().Problem is { } problem)
        {
            problems.Add(problem);
            return (null, problems);
        }

        return (input, problems);
    }

    public JsonArray DestinationsJson() => new([.. Destinations.Select(c => (JsonNode)new JsonObject
    {
        ["id"] = c.DestinationId,
        ["sendIdentify"] = c.SendIdentify,
        ["sendTrack"] = c.SendTrack,
        ["enterEvent"] = c.EnterEvent,
        ["exitEvent"] = c.ExitEvent,
        ["computeEvent"] = c.ComputeEvent,
    })]);

    private static List<EngageConnection> ReadConnections(JsonArray? list, List<EngageProblem> problems)
    {
        var connections = new List<EngageConnection>();
        for (var i = 0; i < (list?.Count ?? 0); i++)
        {
            var field = $"destinations[{i}]";
            var item = list![i];
            EngageConnection? connection = null;
            if (item is JsonValue id && id.TryGetValue<string>(out var text) && text.Length > 0)
            {
                connection = new EngageConnection(text);
            }
            else if (item is JsonObject settings && Text(settings, "id", problems, required: true, field) is { } destination)
            {
                var defaults = new EngageConnection(destination);
                connection = defaults with
                {
                    SendIdentify = Flag(settings, "sendIdentify", problems, field) ?? defaults.SendIdentify,
                    SendTrack = Flag(settings, "sendTrack", problems, field) ?? defaults.SendTrack,
                    EnterEvent = Text(settings, "enterEvent", problems, required: false, field) ?? defaults.EnterEvent,
                    ExitEvent = Text(settings, "exitEvent", problems, required: false, field) ?? defaults.ExitEvent,
                    ComputeEvent = Text(settings, "computeEvent", problems, required: false, field) ?? defaults.ComputeEvent,
                };
            }
            else if (item is not JsonObject)
            {
                problems.Add(new EngageProblem(field, "a destination id, or an object with an id and the connection's settings"));
            }

            if (connection is null)
            {
                continue;
            }

            if (connection.RefusalAmong(connections) is { } refusal)
            {
                problems.Add(new EngageProblem(field, refusal));
            }
            else
            {
                connections.Add(connection);
            }
        }

        return connections;
    }

    private static string? Text(JsonObject body, string name, List<EngageProblem> problems, bool required, string? parent = null)
    {
        var field = parent is null ? name : $"{parent}.{name}";
        if (body[name] is not { } node)
        {
            if (required)
            {
                problems.Add(new EngageProblem(field, "is required"));
            }

            return null;
        }

        if (node is JsonValue value && value.TryGetValue<string>(out var text) && text.Trim().Length > 0)
        {
            return text.Trim();
        }

        problems.Add(new EngageProblem(field, "must be a text that is not empty"));
        return null;
    }

    private static bool? Flag(JsonObject body, string name, List<EngageProblem> problems, string parent)
    {
        if (body[name] is not { } node)
        {
            return null;
        }

        if (node.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return node.GetValue<bool>();
        }

        problems.Add(new EngageProblem($"{parent}.{name}", "must be true or false"));
        return null;
    }
}
