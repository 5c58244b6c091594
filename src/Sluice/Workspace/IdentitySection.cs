using System.Text.Json.Nodes;
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

    /// <summary>Whether the section is there with at least one key.</summary>
    public static bool SetsAnything(YamlMappingNode top) =>
        top.Children.TryGetValue(new YamlScalarNode("identity"), out var node) && node is YamlMappingNode { Children.Count: > 0 };

    /// <summary>
    /// Settings sent to the Admin API in this section's shape, read by the workspace file's loader (so the API
    /// takes exactly what the file does); null with the problems, each with its field, when they are not valid.
    /// </summary>
    public static (IdentitySettings? Settings, IReadOnlyList<(string Field, string Message)> Problems) FromJson(JsonObject section)
    {
        try
        {
            var document = new JsonObject { ["identity"] = section.DeepClone() };
            var parsed = WorkspaceFileLoader.Parse(document.ToJsonString(), "request", name => "${" + name + "}", strict: true);
            return (parsed.Identity ?? new IdentitySettings(), []);
        }
        catch (WorkspaceFileException refused)
        {
            return (null, [.. refused.Problems.Select(p => LoaderProblems.Split(p, "identity"))]);
        }
    }

    /// <summary>
    /// The settings in this section's shape (what <see cref="Read"/> reads back to the same settings), every
    /// value written out: how the Admin API shows them and the store keeps them.
    /// </summary>
    public static JsonObject Write(IdentitySettings settings)
    {
        var rules = new JsonObject();
        foreach (var (type, rule) in settings.Rules.OrderBy(r => r.Value.Priority).ThenBy(r => r.Key, StringComparer.Ordinal))
        {
            var written = new JsonObject { ["limit"] = rule.Limit, ["priority"] = rule.Priority };
            if (rule.Window is { } window)
            {
                written["window"] = DurationText.Format(window);
            }

            rules[type] = written;
        }

        return new JsonObject
        {
            ["rules"] = rules,
            ["customKeys"] = new JsonArray([.. settings.CustomKeys.Select(k => (JsonNode)k)]),
            ["blockedValues"] = new JsonArray([.. settings.BlockedValues.Select(v => (JsonNode)v)]),
            ["blockedPatterns"] = new JsonArray([.. settings.BlockedPatterns.Select(p => (JsonNode)p.ToString())]),
            ["maxMerges"] = settings.MaxMerges,
            ["maxIdentifiers"] = settings.MaxIdentifiers,
            ["aliasMerges"] = settings.AliasMerges,
        };
    }

    private static List<string>? Strings(YamlFields yaml, YamlMappingNode map, string key) =>
        map.Children.ContainsKey(new YamlScalarNode(key))
            ? [.. yaml.Items(map, key, "identity").Select(item => yaml.Scalar(item.Node, item.Path)).OfType<string>()]
            : null;

    [GeneratedRegex("^[a-z0-9_.]{1,64}$")]
    private static partial Regex TypePattern();
}
