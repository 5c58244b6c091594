using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sluice.Workspace;

/// <summary>
/// Reading values out of a YAML document for the workspace file's loader: required and optional
/// keys, lists, booleans, durations, <c>${VARIABLE}</c> substitution and YAML-to-JSON, each problem
/// collected with its file, line, column and path. It knows YAML, not what a workspace holds
/// (that is <see cref="WorkspaceFileLoader"/>'s).
/// </summary>
internal sealed partial class YamlFields(string file, Func<string, string?> environment, bool strict)
{
    private readonly List<string> _problems = [];
    private readonly List<string> _warnings = [];

    public IReadOnlyList<string> Problems => _problems;

    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Whether the rules added later refuse (the Admin API) or only warn (the file, stored destinations).</summary>
    public bool Strict => strict;

    public void Warn(YamlNode node, string path, string warning) =>
        _warnings.Add($"{file}:{node.Start.Line}:{node.Start.Column}: {path}: {warning}");

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex EnvironmentReference();

    public TimeSpan? Duration(YamlMappingNode map, string path, string key)
    {
        if (String(map, path, key, required: false) is not { } text)
        {
            return null;
        }

        if (DurationText.TryParse(text, out var duration))
        {
            return duration;
        }

        Problem(map[key], $"{path}.{key}", "must be " + DurationText.Expected);
        return null;
    }

    public IEnumerable<(YamlNode Node, string Path)> Items(YamlMappingNode map, string key, string? parent = null)
    {
        var path = parent is null ? key : $"{parent}.{key}";
        if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node) || node is YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            yield break;
        }

        if (node is not YamlSequenceNode sequence)
        {
            Problem(node, path, "must be a list");
            yield break;
        }

        for (var i = 0; i < sequence.Children.Count; i++)
        {
            yield return (sequence.Children[i], $"{path}[{i}]");
        }
    }

    public YamlMappingNode? Mapping(YamlNode node, string path)
    {
        if (node is YamlMappingNode map)
        {
            return map;
        }

        Problem(node, path, "must be a mapping of keys to values");
        return null;
    }

    public JsonObject NotAMapping(YamlNode node, string path)
    {
        Problem(node, path, "must be a mapping of keys to values");
        return [];
    }

    public void CheckKeys(YamlMappingNode map, string path, params string[] allowed)
    {
        foreach (var key in map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value;
            if (name is null || !allowed.Contains(name))
            {
                Problem(key, path, $"unknown key '{name}'; expected one of: {string.Join(", ", allowed)}");
            }
        }
    }

    public string? String(YamlMappingNode map, string path, string key, bool required)
    {
        if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node))
        {
            if (required)
            {
                Problem(map, path, $"'{key}' is required");
            }

            return null;
        }

        return Scalar(node, $"{path}.{key}");
    }

    public string? Scalar(YamlNode node, string path)
    {
        if (node is not YamlScalarNode scalar || scalar.Value is null)
        {
            Problem(node, path, "must be a single value, not a list or mapping");
            return null;
        }

        return Substitute(scalar, path);
    }

    public bool? Boolean(YamlMappingNode map, string path, string key)
    {
        if (String(map, path, key, required: false) is not { } text)
        {
            return null;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        Problem(map[key], $"{path}.{key}", "must be true or false");
        return null;
    }

    public int? Integer(YamlMappingNode map, string path, string key, int min, int max)
    {
        if (String(map, path, key, required: false) is not { } text)
        {
            return null;
        }

        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Problem(map[key], $"{path}.{key}", $"must be a whole number from {min} to {max}");
        return null;
    }

    public string Substitute(YamlScalarNode scalar, string path) =>
        EnvironmentReference().Replace(scalar.Value!, match =>
        {
            var name = match.Groups[1].Value;
            if (environment(name) is { } value)
            {
                return value;
            }

            Problem(scalar, path, $"environment variable {name} is not set");
            return "";
        });

    /// <summary>Settings and mappings are JSON (mapping-kit directives): plain YAML scalars keep their YAML type, quoted ones are strings.</summary>
    public JsonNode? ToJson(YamlNode node, string path)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in map.Children)
                {
                    var key = (keyNode as YamlScalarNode)?.Value ?? "";
                    if (obj.ContainsKey(key))
                    {
                        Problem(keyNode, path, $"duplicate key '{key}'");
                        continue;
                    }

                    obj[key] = ToJson(valueNode, $"{path}.{key}");
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    array.Add(ToJson(sequence.Children[i], $"{path}[{i}]"));
                }

                return array;
            case YamlScalarNode scalar:
                var text = Substitute(scalar, path);
                // A value from the environment stays a string: KEY=00123 must not become the number 123.
                if (scalar.Style is ScalarStyle.Plain && !EnvironmentReference().IsMatch(scalar.Value ?? ""))
                {
                    switch (text)
                    {
                        case "" or "~" or "null" or "Null" or "NULL": return null;
                        case "true" or "True" or "TRUE": return JsonValue.Create(true);
                        case "false" or "False" or "FALSE": return JsonValue.Create(false);
                    }

                    if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
                    {
                        return JsonValue.Create(integer);
                    }

                    if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
                    {
                        return JsonValue.Create(real);
                    }
                }

                return JsonValue.Create(text);
            default:
                Problem(node, path, "unsupported YAML node");
                return null;
        }
    }

    public void Problem(YamlNode node, string path, string problem) =>
        _problems.Add($"{file}:{node.Start.Line}:{node.Start.Column}: {path}: {problem}");

    /// <summary>A problem under the rules added later: refused when strict, a warning otherwise.</summary>
    public void Tightened(YamlNode node, string path, string problem)
    {
        if (Strict)
        {
            Problem(node, path, problem);
        }
        else
        {
            Warn(node, path, $"{problem} (accepted from the workspace file and from earlier versions; the Admin API refuses it)");
        }
    }
}
