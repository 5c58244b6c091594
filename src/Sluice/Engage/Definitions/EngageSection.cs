using Sluice.Workspace;
using YamlDotNet.RepresentationModel;

namespace Sluice.Engage.Definitions;

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
                traits.Add(new ComputedTraitDefinition(key, name, query, EngageQueryParser.ParseComputedTrait(query), anonymous));
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
                audiences.Add(new AudienceDefinition(key, name, query, EngageQueryParser.ParseAudience(query), anonymous));
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

    private static (string Key, string Name, string Query, bool IncludeAnonymous, YamlNode QueryNode)? Common(YamlFields yaml, YamlNode item, string path, Dictionary<string, string> keys)
    {
        if (yaml.Mapping(item, path) is not { } map)
        {
            return null;
        }

        yaml.CheckKeys(map, path, "key", "name", "query", "includeAnonymous");
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
