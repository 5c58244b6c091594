using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Sluice.EventLog;
using Sluice.Storage;
using YamlDotNet.RepresentationModel;

namespace Sluice.Workspace;

/// <summary>
/// The workspace file's <c>retention:</c> section, and the same settings as JSON (the Admin API's, and
/// how they are stored): <c>events</c> and <c>deliveries</c> for every source and destination, and
/// <c>sources</c> and <c>destinations</c> by id for those kept shorter or longer.
/// </summary>
internal static class RetentionSection
{
    public static readonly string[] Keys = ["events", "deliveries", "sources", "destinations"];

    /// <summary>The section's settings, or null when the file has none (the Admin API's are used then).</summary>
    public static RetentionSettings? Read(YamlFields yaml, YamlMappingNode top)
    {
        if (!top.Children.TryGetValue(new YamlScalarNode("retention"), out var node) || node is YamlScalarNode { Value: null or "" or "~" or "null" or "{}" })
        {
            return null;
        }

        if (yaml.Mapping(node, "retention") is not { } map)
        {
            return null;
        }

        yaml.CheckKeys(map, "retention", Keys);
        return new RetentionSettings
        {
            Events = yaml.Duration(map, "retention", "events"),
            Deliveries = yaml.Duration(map, "retention", "deliveries"),
            Sources = ById(yaml, map, "sources"),
            Destinations = ById(yaml, map, "destinations"),
        };
    }

    private static FrozenDictionary<string, TimeSpan> ById(YamlFields yaml, YamlMappingNode map, string key)
    {
        var byId = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node) || yaml.Mapping(node, $"retention.{key}") is not { } ids)
        {
            return byId.ToFrozenDictionary(StringComparer.Ordinal);
        }

        foreach (var (idNode, _) in ids.Children)
        {
            var id = (idNode as YamlScalarNode)?.Value ?? "";
            if (yaml.Duration(ids, $"retention.{key}", id) is { } duration)
            {
                byId[id] = duration;
            }
        }

        return byId.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The settings as JSON: durations as text (<c>30d</c>), a default left out is null.</summary>
    public static JsonObject ToJson(RetentionSettings settings) => new()
    {
        ["events"] = settings.Events is { } events ? DurationText.Format(events) : null,
        ["deliveries"] = settings.Deliveries is { } deliveries ? DurationText.Format(deliveries) : null,
        ["sources"] = new JsonObject(settings.Sources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => KeyValuePair.Create(s.Key, (JsonNode?)DurationText.Format(s.Value)))),
        ["destinations"] = new JsonObject(settings.Destinations.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => KeyValuePair.Create(d.Key, (JsonNode?)DurationText.Format(d.Value)))),
    };

    /// <summary>Settings from JSON (the Admin API's body): each problem with its field, or the settings.</summary>
    public static (RetentionSettings? Settings, IReadOnlyList<(string Field, string Rule, string Message)> Problems) FromJson(JsonObject json)
    {
        var problems = new List<(string, string, string)>();
        foreach (var (name, _) in json)
        {
            if (!Keys.Contains(name))
            {
                problems.Add((name, "unknown_key", $"is not a retention setting: {string.Join(", ", Keys)}"));
            }
        }

        TimeSpan? Duration(JsonNode? node, string field)
        {
            if (node is null)
            {
                return null;
            }

            if (node is JsonValue value && value.TryGetValue<string>(out var text) && DurationText.TryParse(text, out var duration))
            {
                return duration;
            }

            problems.Add((field, "duration", "must be " + DurationText.Expected));
            return null;
        }

        FrozenDictionary<string, TimeSpan> ById(string key)
        {
            var byId = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
            if (json[key] is null)
            {
                return byId.ToFrozenDictionary(StringComparer.Ordinal);
            }

            if (json[key] is not JsonObject ids)
            {
                problems.Add((key, "object", "must be an object of ids and durations"));
                return byId.ToFrozenDictionary(StringComparer.Ordinal);
            }

            foreach (var (id, node) in ids)
            {
                if (Duration(node, $"{key}.{id}") is { } duration)
                {
                    byId[id] = duration;
                }
                else if (node is null)
                {
                    problems.Add(($"{key}.{id}", "duration", "must be " + DurationText.Expected));
                }
            }

            return byId.ToFrozenDictionary(StringComparer.Ordinal);
        }

        var settings = new RetentionSettings
        {
            Events = Duration(json["events"], "events"),
            Deliveries = Duration(json["deliveries"], "deliveries"),
            Sources = ById("sources"),
            Destinations = ById("destinations"),
        };
        return problems.Count == 0 ? (settings, []) : (null, problems);
    }
}

/// <summary>
/// The retention settings in force: the workspace file's <c>retention:</c> section when it has one (the Admin
/// API then shows them and refuses changes), else those saved through the Admin API, read from the store each
/// time (every node enforces the same ones).
/// </summary>
internal sealed class RetentionSettingsSource(DeclaredWorkspace declared, IWorkspaceStore store) : IRetentionSettings
{
    public RetentionSettings? FromFile => declared.File?.Retention;

    public RetentionSettings Current() => FromFile ?? Stored()?.Settings ?? RetentionSettings.None;

    /// <summary>The settings saved through the Admin API, when, and by whom; null when none were.</summary>
    public (RetentionSettings Settings, long UpdatedAt, string Actor)? Stored() =>
        store.ReadRetentionSettings() is { } saved && JsonNode.Parse(saved.Json) is JsonObject json && RetentionSection.FromJson(json).Settings is { } settings
            ? (settings, saved.UpdatedAt, saved.Actor)
            : null;

    public void Save(RetentionSettings settings, long at, string actor) => store.SaveRetentionSettings(RetentionSection.ToJson(settings).ToJsonString(), at, actor);
}
