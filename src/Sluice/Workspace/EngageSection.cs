using YamlDotNet.RepresentationModel;

namespace Sluice.Workspace;

/// <summary>
/// The workspace file's <c>engage:</c> section: computed traits and audiences, each a <c>name</c>, an
/// optional <c>key</c> (the name in snake_case otherwise), a <c>query</c> in Segment's query language and
/// <c>includeAnonymous</c>. They are computed on profiles, so the file needs an <c>identity:</c> section too.
/// </summary>
internal static class EngageSection
{
    public static EngageDefinitions? Read(YamlFields yaml, YamlMappingNode top, bool profilesOn)
    {
        if (!top.Children.TryGetValue(new YamlScalarNode("engage"), out var node))
        {
            return null;
        }

        if (node is YamlScalarNode { Value: null or "" or "~" or "null" or "{}" })
        {
            return EngageDefinitions.None;
        }

        if (yaml.Mapping(node, "engage") is not { } map)
        {
            return null;
        }

        yaml.CheckKeys(map, "engage", "computedTraits", "audiences");
        if (!profilesOn)
        {
            yaml.Problem(node, "engage", "computed traits and audiences are computed on profiles: add an identity: section (identity: {} takes Segment's defaults)");
        }

        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        var traits = new List<ComputedTraitDefinition>();
        foreach (var (item, path) in yaml.Items(map, "computedTraits", "engage"))
        {
            if (Common(yaml, item, path, keys) is not var (key, name, query, anonymous, queryNode))
            {
                continue;
            }

            try
            {
                traits.Add(new ComputedTraitDefinition(key, name, query, EngageQueryParser.ParseComputedTrait(query), anonymous) { Destinations = Connections(yaml, (YamlMappingNode)item, path) });
            }
            catch (EngageQueryException invalid)
            {
                yaml.Problem(queryNode, $"{path}.query", invalid.Message);
            }
        }

        var audiences = new List<AudienceDefinition>();
        foreach (var (item, path) in yaml.Items(map, "audiences", "engage"))
        {
            if (Common(yaml, item, path, keys) is not var (key, name, query, anonymous, queryNode))
            {
                continue;
            }

            try
            {
                audiences.Add(new AudienceDefinition(key, name, query, EngageQueryParser.ParseAudience(query), anonymous) { Destinations = Connections(yaml, (YamlMappingNode)item, path) });
            }
            catch (EngageQueryException invalid)
            {
                yaml.Problem(queryNode, $"{path}.query", invalid.Message);
            }
        }

        try
        {
            return new EngageDefinitions(traits, audiences);
        }
        catch (EngageDefinitionException refused)
        {
            yaml.Problem(node, "engage", refused.Message);
            return null;
        }
    }

    /// <summary><c>destinations:</c> destination ids, or mappings of an <c>id</c> and the connection's settings.</summary>
    private static List<EngageConnection> Connections(YamlFields yaml, YamlMappingNode definition, string path)
    {
        var connections = new List<EngageConnection>();
        foreach (var (node, at) in yaml.Items(definition, "destinations", path))
        {
            EngageConnection? connection = null;
            if (node is YamlScalarNode && yaml.Scalar(node, at) is { } id)
            {
                connection = new EngageConnection(id);
            }
            else if (yaml.Mapping(node, at) is { } map)
            {
                yaml.CheckKeys(map, at, "id", "sendIdentify", "sendTrack", "enterEvent", "exitEvent", "computeEvent");
                if (yaml.String(map, at, "id", required: true) is { } destination)
                {
                    var defaults = new EngageConnection(destination);
                    connection = defaults with
                    {
                        SendIdentify = yaml.Boolean(map, at, "sendIdentify") ?? defaults.SendIdentify,
                        SendTrack = yaml.Boolean(map, at, "sendTrack") ?? defaults.SendTrack,
                        EnterEvent = yaml.String(map, at, "enterEvent", required: false) ?? defaults.EnterEvent,
                        ExitEvent = yaml.String(map, at, "exitEvent", required: false) ?? defaults.ExitEvent,
                        ComputeEvent = yaml.String(map, at, "computeEvent", required: false) ?? defaults.ComputeEvent,
                    };
                }
            }

            if (connection is null)
            {
                continue;
            }

            if (connection.RefusalAmong(connections) is { } refusal)
            {
                yaml.Problem(node, at, refusal);
                continue;
            }

            connections.Add(connection);
        }

        return connections;
    }

    private static (string Key, string Name, string Query, bool IncludeAnonymous, YamlNode QueryNode)? Common(YamlFields yaml, YamlNode item, string path, Dictionary<string, string> keys)
    {
        if (yaml.Mapping(item, path) is not { } map)
        {
            return null;
        }

        yaml.CheckKeys(map, path, "key", "name", "query", "includeAnonymous", "destinations");
        var name = yaml.String(map, path, "name", required: true);
        var query = yaml.String(map, path, "query", required: true);
        var key = yaml.String(map, path, "key", required: false) ?? (name is null ? null : EngageDefinitions.KeyOf(name));
        var anonymous = yaml.Boolean(map, path, "includeAnonymous") ?? false;
        if (name is null || query is null || key is null)
        {
            return null;
        }

        if (!EngageDefinitions.IsKey(key))
        {
            yaml.Problem(map, $"{path}.key", $"'{key}' is not a key: lowercase letters, digits and '_', starting with a letter, at most 100 characters (what destinations receive as the trait's name)");
            return null;
        }

        if (keys.TryGetValue(key, out var first))
        {
            yaml.Problem(map, $"{path}.key", $"the key '{key}' is already {first}'s: computed traits and audiences share one set of keys");
            return null;
        }

        keys[key] = path;
        return (key, name, query, anonymous, map.Children[new YamlScalarNode("query")]);
    }
}
