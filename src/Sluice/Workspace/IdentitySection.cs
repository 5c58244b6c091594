using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Sluice.Workspace;

/// <summary>
/// The workspace file's <c>identity:</c> section: its presence turns profiles on; what it sets changes
/// Segment's defaults (<see cref="IdentitySettings"/>). <c>rules</c> names types; a rule given for a type
/// keeps the parts it leaves out from the type's default.
/// </summary>
internal static partial class IdentitySection
{
    public static IdentitySettings? Read(YamlFields yaml, YamlMappingNode top)
    {
        if (!top.Children.TryGetValue(new YamlScalarNode("identity"), out var node))
        {
            return null;
        }

        var settings = new IdentitySettings();
        if (node is YamlScalarNode { Value: null or "" or "~" or "null" or "{}" })
        {
            return settings;
        }

        if (yaml.Mapping(node, "identity") is not { } map)
        {
            return null;
        }

        yaml.CheckKeys(map, "identity", "rules", "customKeys", "blockedValues", "blockedPatterns", "maxMerges", "maxIdentifiers", "aliasMerges");
        if (map.Children.TryGetValue(new YamlScalarNode("rules"), out var rulesNode) && yaml.Mapping(rulesNode, "identity.rules") is { } rules)
        {
            foreach (var (key, value) in rules.Children)
            {
                var type = (key as YamlScalarNode)?.Value ?? "";
                var path = $"identity.rules.{type}";
                if (!TypePattern().IsMatch(type))
                {
                    yaml.Problem(key, "identity.rules", $"'{type}' is not an identifier type: lowercase letters, digits, '_' and '.'");
                    continue;
                }

                if (yaml.Mapping(value, path) is not { } rule)
                {
                    continue;
                }

                yaml.CheckKeys(rule, path, "limit", "window", "priority");
                var current = settings.RuleOf(type);
                settings = settings.WithRule(type, new IdentifierRule(
                    yaml.Integer(rule, path, "limit", 1, 1_000) ?? current.Limit,
                    yaml.Duration(rule, path, "window") ?? current.Window,
                    yaml.Integer(rule, path, "priority", 1, 1_000) ?? current.Priority));
            }
        }

        var customKeys = Strings(yaml, map, "customKeys");
        foreach (var (keyNode, path) in yaml.Items(map, "customKeys", "identity"))
        {
            if (yaml.Scalar(keyNode, path) is { } key && !TypePattern().IsMatch(key))
            {
                yaml.Problem(keyNode, path, $"'{key}' is not a key Sluice can read as an identifier type: lowercase letters, digits, '_' and '.'");
            }
        }

        var patterns = new List<Regex>();
        foreach (var (patternNode, path) in yaml.Items(map, "blockedPatterns", "identity"))
        {
            if (yaml.Scalar(patternNode, path) is not { } pattern)
            {
                continue;
            }

            try
            {
                patterns.Add(new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50)));
            }
            catch (ArgumentException invalid)
            {
                yaml.Problem(patternNode, path, $"not a regular expression: {invalid.Message}");
            }
        }

        return settings with
        {
            CustomKeys = customKeys ?? settings.CustomKeys,
            BlockedValues = Strings(yaml, map, "blockedValues") ?? settings.BlockedValues,
            BlockedPatterns = map.Children.ContainsKey(new YamlScalarNode("blockedPatterns")) ? patterns : settings.BlockedPatterns,
            MaxMerges = yaml.Integer(map, "identity", "maxMerges", 0, 100_000) ?? settings.MaxMerges,
            MaxIdentifiers = yaml.Integer(map, "identity", "maxIdentifiers", 1, 100_000) ?? settings.MaxIdentifiers,
            AliasMerges = yaml.Boolean(map, "identity", "aliasMerges") ?? settings.AliasMerges,
        };
    }

    private static List<string>? Strings(YamlFields yaml, YamlMappingNode map, string key) =>
        map.Children.ContainsKey(new YamlScalarNode(key))
            ? [.. yaml.Items(map, key, "identity").Select(item => yaml.Scalar(item.Node, item.Path)).OfType<string>()]
            : null;

    [GeneratedRegex("^[a-z0-9_.]{1,64}$")]
    private static partial Regex TypePattern();
}
