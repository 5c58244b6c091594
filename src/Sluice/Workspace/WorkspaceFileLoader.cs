using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sluice.Actions.Fql;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;
using Sluice.Destinations;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sluice.Workspace;

/// <summary>A workspace file that cannot be applied; each problem names the file, line, column and path.</summary>
internal sealed class WorkspaceFileException(IReadOnlyList<string> problems)
    : Exception("The workspace file is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Reads the workspace-as-code YAML file. Every problem is collected, with its position, before
/// start-up stops, so that one run shows everything to fix.
/// </summary>
internal sealed partial class WorkspaceFileLoader
{
    public const int MaxMappingsPerDestination = 50;
    public const int MaxFiltersPerDestination = 10;


    private readonly YamlFields _yaml;

    private readonly DestinationCatalog _catalog;

    private WorkspaceFileLoader(string file, Func<string, string?> environment, bool strict, DestinationCatalog catalog)
    {
        _yaml = new YamlFields(file, environment, strict);
        _catalog = catalog;
    }

    /// <param name="catalog">The destinations a file may declare; the built-in ones when left out.</param>
    public static WorkspaceDefinition Load(string path, Func<string, string?>? environment = null, DestinationCatalog? catalog = null)
    {
        if (!File.Exists(path))
        {
            throw new WorkspaceFileException([$"{path}: the file does not exist"]);
        }

        return Parse(File.ReadAllText(path), path, environment, catalog: catalog);
    }

    /// <param name="strict">
    /// Also refuse what the rules added in December 2026 refuse (names that cannot be addressed, a drop
    /// filter without its condition, plain mapping values that sending would refuse). The Admin API saves
    /// strictly; the workspace file and destinations stored by earlier versions get warnings for them,
    /// so that an upgrade does not stop a working installation.
    /// </param>
    public static WorkspaceDefinition Parse(string yaml, string fileName, Func<string, string?>? environment = null, bool strict = false, DestinationCatalog? catalog = null)
    {
        var loader = new WorkspaceFileLoader(fileName, environment ?? Environment.GetEnvironmentVariable, strict, catalog ?? DestinationCatalog.Builtin);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException exception)
        {
            throw new WorkspaceFileException([$"{fileName}:{exception.Start.Line}:{exception.Start.Column}: not valid YAML: {exception.InnerException?.Message ?? exception.Message}"]);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return WorkspaceDefinition.Empty;
        }

        var workspace = loader.ReadWorkspace(stream.Documents[0].RootNode);
        if (loader._yaml.Problems.Count > 0)
        {
            throw new WorkspaceFileException(loader._yaml.Problems);
        }

        return workspace;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex IdPattern();


    private WorkspaceDefinition ReadWorkspace(YamlNode root)
    {
        if (_yaml.Mapping(root, "(top level)") is not { } top)
        {
            return WorkspaceDefinition.Empty;
        }

        _yaml.CheckKeys(top, "(top level)", "sources", "destinations", "identity", "engage", "retention");
        var sources = new List<SourceDefinition>();
        var sourceIds = new HashSet<string>(StringComparer.Ordinal);
        var writeKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (node, path) in _yaml.Items(top, "sources"))
        {
            if (ReadSource(node, path) is not { } source)
            {
                continue;
            }

            if (!sourceIds.Add(source.Id))
            {
                _yaml.Problem(node, $"{path}.id", $"duplicate source id '{source.Id}'");
            }

            if (source.WriteKey is { } key && !writeKeys.Add(key))
            {
                _yaml.Problem(node, $"{path}.writeKey", "this write key is already used by another source");
            }

            sources.Add(source);
        }

        var destinations = new List<DestinationInstance>();
        var destinationIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (node, path) in _yaml.Items(top, "destinations"))
        {
            if (ReadDestination(node, path, sourceIds) is not { } destination)
            {
                continue;
            }

            if (!destinationIds.Add(destination.Id))
            {
                _yaml.Problem(node, $"{path}.id", $"duplicate destination id '{destination.Id}'");
            }

            destinations.Add(destination);
        }

        var identity = IdentitySection.Read(_yaml, top);
        var engage = EngageSection.Read(_yaml, top, profilesOn: identity is not null);
        return new WorkspaceDefinition(sources, destinations)
        {
            Warnings = _yaml.Warnings,
            Identity = identity,
            IdentitySetInFile = IdentitySection.SetsAnything(top),
            Engage = engage,
            Retention = RetentionSection.Read(_yaml, top),
        };
    }

    private SourceDefinition? ReadSource(YamlNode node, string path)
    {
        if (_yaml.Mapping(node, path) is not { } map)
        {
            return null;
        }

        _yaml.CheckKeys(map, path, "id", "name", "writeKey", "allowedOrigins");
        var id = Id(map, path);
        var name = _yaml.String(map, path, "name", required: false) ?? id;
        var writeKey = _yaml.String(map, path, "writeKey", required: false);
        if (writeKey is { Length: 0 })
        {
            _yaml.Problem(map["writeKey"], $"{path}.writeKey", "must not be empty; leave it out to have one generated");
        }

        return id is null ? null : new SourceDefinition(id, name!, writeKey) { AllowedOrigins = AllowedOrigins(map, path) };
    }

    /// <summary>A source's <c>allowedOrigins</c>: origins as browsers send them (no path, no trailing slash).</summary>
    private List<string>? AllowedOrigins(YamlMappingNode map, string path)
    {
        if (!map.Children.TryGetValue(new YamlScalarNode("allowedOrigins"), out var node))
        {
            return null;
        }

        if (node is not YamlSequenceNode list)
        {
            _yaml.Problem(node, $"{path}.allowedOrigins", "must be a list of origins such as https://shop.example");
            return null;
        }

        var origins = new List<string>();
        foreach (var (item, i) in list.Children.Select((item, i) => (item, i)))
        {
            var text = (item as YamlScalarNode)?.Value ?? "";
            if (WebOrigins.TryNormalize(text, out var origin))
            {
                origins.Add(origin);
            }
            else
            {
                _yaml.Problem(item, $"{path}.allowedOrigins[{i}]", WebOrigins.NotAnOrigin(text));
            }
        }

        return origins;
    }

    private DestinationInstance? ReadDestination(YamlNode node, string path, HashSet<string> sourceIds)
    {
        if (_yaml.Mapping(node, path) is not { } map)
        {
            return null;
        }

        _yaml.CheckKeys(map, path, "id", "name", "type", "sources", "enabled", "settings", "presets", "mappings", "filters", "retryWindow", "rateLimit", "ordered");
        var id = Id(map, path);
        var type = _yaml.String(map, path, "type", required: true);
        if (type is not null && _catalog.Find(type) is null)
        {
            _yaml.Problem(map["type"], $"{path}.type", $"unknown destination type '{type}'; the catalog has: {string.Join(", ", _catalog.All.Select(d => d.Slug).Order(StringComparer.Ordinal))}");
        }

        var sources = new List<string>();
        foreach (var (sourceNode, sourcePath) in _yaml.Items(map, "sources", path))
        {
            if (_yaml.Scalar(sourceNode, sourcePath) is { } sourceId)
            {
                if (!sourceIds.Contains(sourceId))
                {
                    _yaml.Problem(sourceNode, sourcePath, $"no source has the id '{sourceId}'");
                }

                sources.Add(sourceId);
            }
        }

        var settings = map.Children.TryGetValue(new YamlScalarNode("settings"), out var settingsNode)
            ? _yaml.ToJson(settingsNode, $"{path}.settings") as JsonObject ?? _yaml.NotAMapping(settingsNode, $"{path}.settings")
            : [];

        var mappings = new List<MappingDefinition>();
        var mappingNames = new HashSet<string>(StringComparer.Ordinal);
        var catalogEntry = type is null ? null : _catalog.Find(type);
        if (catalogEntry is not null)
        {
            CheckSettings(catalogEntry, settings, (YamlNode?)settingsNode ?? map, $"{path}.settings");
        }
        foreach (var (mappingNode, mappingPath) in _yaml.Items(map, "mappings", path))
        {
            if (ReadMapping(mappingNode, mappingPath) is { } mapping)
            {
                if (catalogEntry is not null && !catalogEntry.Actions.ContainsKey(mapping.Action))
                {
                    _yaml.Problem(((YamlMappingNode)mappingNode)["action"], $"{mappingPath}.action", $"{catalogEntry.Name} has no action '{mapping.Action}'; it has: {string.Join(", ", catalogEntry.Actions.Keys)}");
                }
                else if (catalogEntry is not null)
                {
                    CheckLiterals(catalogEntry.Actions[mapping.Action], mapping.Mapping, mappingNode, $"{mappingPath}.mapping");
                }

                if (!mappingNames.Add(mapping.Name))
                {
                    _yaml.Problem(mappingNode, $"{mappingPath}.name", $"duplicate mapping name '{mapping.Name}'");
                }

                mappings.Add(mapping);
            }
        }

        var presets = catalogEntry is not null && (_yaml.Boolean(map, path, "presets") ?? true) ? catalogEntry.Presets : [];
        foreach (var (mappingNode, mappingPath) in _yaml.Items(map, "mappings", path))
        {
            if (mappingNode is YamlMappingNode named && named.Children.TryGetValue(new YamlScalarNode("name"), out var nameNode)
                && nameNode is YamlScalarNode { Value: { } taken } && presets.Any(p => p.Name == taken))
            {
                _yaml.Problem(nameNode, $"{mappingPath}.name", $"'{taken}' is the name of one of {catalogEntry!.Name}'s presets; give the mapping another name (or turn the destination's presets off)");
            }
        }

        if (catalogEntry is not null && presets.Count + mappings.Count(m => m.Enabled) == 0)
        {
            _yaml.Warn(map, path, $"no preset and no enabled mapping, so {catalogEntry.Name} receives nothing");
        }

        if (mappings.Count > MaxMappingsPerDestination)
        {
            _yaml.Problem(map["mappings"], $"{path}.mappings", $"at most {MaxMappingsPerDestination} mappings per destination; found {mappings.Count}");
        }

        var filters = new List<FilterDefinition>();
        foreach (var (filterNode, filterPath) in _yaml.Items(map, "filters", path))
        {
            if (ReadFilter(filterNode, filterPath) is { } filter)
            {
                filters.Add(filter);
            }
        }

        if (filters.Count > MaxFiltersPerDestination)
        {
            _yaml.Problem(map["filters"], $"{path}.filters", $"at most {MaxFiltersPerDestination} filters per destination; found {filters.Count}");
        }

        if (id is null || type is null)
        {
            return null;
        }

        return new DestinationInstance
        {
            Id = id,
            Name = _yaml.String(map, path, "name", required: false),
            Type = type,
            Sources = sources,
            Enabled = _yaml.Boolean(map, path, "enabled") ?? true,
            Settings = settings,
            Presets = _yaml.Boolean(map, path, "presets") ?? true,
            Mappings = mappings,
            Filters = filters,
            RetryWindow = _yaml.Duration(map, path, "retryWindow") ?? DestinationInstance.DefaultRetryWindow,
            RateLimit = RateLimit(map, path),
            Ordered = _yaml.Boolean(map, path, "ordered") ?? false,
        };
    }

    private MappingDefinition? ReadMapping(YamlNode node, string path)
    {
        if (_yaml.Mapping(node, path) is not { } map)
        {
            return null;
        }

        _yaml.CheckKeys(map, path, "name", "action", "trigger", "mapping", "enabled");
        var name = ItemName(map, path);
        var action = _yaml.String(map, path, "action", required: true);
        var trigger = _yaml.String(map, path, "trigger", required: true);
        var mapping = map.Children.TryGetValue(new YamlScalarNode("mapping"), out var mappingNode)
            ? _yaml.ToJson(mappingNode, $"{path}.mapping") as JsonObject ?? _yaml.NotAMapping(mappingNode, $"{path}.mapping")
            : [];
        var enabled = _yaml.Boolean(map, path, "enabled") ?? true;
        if (trigger is not null)
        {
            CheckFql(map["trigger"], $"{path}.trigger", trigger);
        }

        if (map.Children.ContainsKey(new YamlScalarNode("mapping")))
        {
            try
            {
                CompiledMapping.Compile(mapping);
            }
            catch (MappingValidationException exception)
            {
                foreach (var error in exception.Errors)
                {
                    _yaml.Problem(map["mapping"], $"{path}.mapping", error);
                }
            }
        }

        return name is null || action is null || trigger is null
            ? null
            : new MappingDefinition { Name = name, Action = action, Trigger = trigger, Mapping = mapping, Enabled = enabled };
    }

    /// <summary>
    /// A mapping's or filter's name: it is how the Admin API and the web app address it (a path
    /// segment), so it must be something a person can see and a URL can carry.
    /// </summary>
    private string? ItemName(YamlMappingNode map, string path)
    {
        if (_yaml.String(map, path, "name", required: true) is not { } name)
        {
            return null;
        }

        var problem = string.IsNullOrWhiteSpace(name) ? "must not be empty or blank"
            : name.Length > 100 ? "must be at most 100 characters"
            : name.Any(c => c == '/' || char.IsControl(c)) ? "must not contain / or control characters (it is part of the item's address)"
            : name != name.Trim() ? "must not start or end with spaces"
            : null;
        if (problem is null)
        {
            return name;
        }

        _yaml.Tightened(map["name"], $"{path}.name", problem);
        return _yaml.Strict ? null : name;
    }

    /// <summary>
    /// A field given as a plain value (no directive inside) is checked against the action's field now,
    /// exactly as sending would check it: a webhook url that is not a URL, a method that is not one,
    /// would otherwise skip every event with the reason only in the delivery log.
    /// </summary>
    private void CheckLiterals(ActionDefinition action, JsonObject mapping, YamlNode node, string path)
    {
        foreach (var (key, value) in mapping)
        {
            if (value is null || !action.Fields.TryGetValue(key, out var field) || HoldsDirective(value))
            {
                continue;
            }

            try
            {
                PayloadSchema.Validate(new JsonObject { [key] = value.DeepClone() }, new Dictionary<string, InputField> { [key] = field with { Required = false } });
            }
            catch (PayloadValidationException exception)
            {
                _yaml.Tightened(node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode("mapping"), out var at) ? at : node, $"{path}.{key}", exception.Message);
            }
        }

        static bool HoldsDirective(JsonNode node) => node switch
        {
            JsonObject obj => MappingValidator.IsDirective(obj, out _) || obj.Any(p => p.Value is not null && HoldsDirective(p.Value)),
            JsonArray array => array.Any(item => item is not null && HoldsDirective(item)),
            _ => false,
        };
    }

    private FilterDefinition? ReadFilter(YamlNode node, string path)
    {
        if (_yaml.Mapping(node, path) is not { } map)
        {
            return null;
        }

        _yaml.CheckKeys(map, path, "name", "if", "drop", "sample", "block", "allow");
        var name = ItemName(map, path);
        var condition = _yaml.String(map, path, "if", required: false);
        if (condition is not null)
        {
            CheckFql(map["if"], $"{path}.if", condition);
        }

        var drop = _yaml.Boolean(map, path, "drop");
        double? sample = null;
        if (_yaml.String(map, path, "sample", required: false) is { } sampleText)
        {
            if (double.TryParse(sampleText, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100)
            {
                sample = percent;
            }
            else
            {
                _yaml.Problem(map["sample"], $"{path}.sample", "must be a number from 0 to 100 (percent of events kept)");
            }
        }

        var block = FieldList(map, path, "block");
        var allow = FieldList(map, path, "allow");
        // A sample that was given but refused above is still the effect chosen: one problem, not two.
        var sampleGiven = sample is not null || map.Children.ContainsKey(new YamlScalarNode("sample"));
        var effects = (drop is not null ? 1 : 0) + (sampleGiven ? 1 : 0) + (block is not null ? 1 : 0) + (allow is not null ? 1 : 0);
        if (effects != 1)
        {
            _yaml.Problem(map, path, "a filter needs exactly one of: drop: true, sample: PERCENT, block: [fields], allow: [fields]");
        }
        else if (drop is true && condition is null)
        {
            _yaml.Tightened(map, path, "a drop filter needs if: the condition of the events it drops (to stop every event, disable the destination)");
        }
        else if (drop is false)
        {
            _yaml.Problem(map["drop"], $"{path}.drop", "drop: false does nothing; remove the filter or set drop: true");
        }

        return name is null ? null : new FilterDefinition { Name = name, If = condition, Drop = drop ?? false, Sample = sample, Block = block, Allow = allow };
    }

    private double? RateLimit(YamlMappingNode map, string path)
    {
        if (_yaml.String(map, path, "rateLimit", required: false) is not { } text)
        {
            return null;
        }

        // Below one request in 1,000 seconds the pacing interval stops being a usable time.
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var perSecond) && (perSecond == 0 || perSecond is >= 0.001 and <= 1_000_000))
        {
            return perSecond;
        }

        _yaml.Problem(map["rateLimit"], $"{path}.rateLimit", "must be a number of requests per second from 0.001 to 1000000 (0 = no limit)");
        return null;
    }

    /// <summary>
    /// A destination's required settings must be there (Segment fails every event without them);
    /// a setting the destination does not know is probably a typo, so it is a warning. Each HTTP
    /// destination declares its own override for pointing it at a local server (<c>baseUrl</c>, or
    /// Stitch Data's <c>endpoint</c>).
    /// </summary>
    private void CheckSettings(Actions.Kit.DestinationDefinition destination, JsonObject settings, YamlNode node, string path)
    {
        foreach (var (key, field) in destination.Settings)
        {
            var present = settings.TryGetPropertyValue(key, out var value) && value is not null && value.ToString().Length > 0;
            if (field.Required && !present)
            {
                _yaml.Problem(node, path, $"{destination.Name} needs the setting '{key}' ({field.Label})");
            }

            if (present && field.Format == "uri"
                && !(Uri.TryCreate(value!.ToString(), UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)))
            {
                _yaml.Problem(node, $"{path}.{key}", $"{destination.Name}'s setting '{key}' must be an absolute http or https URL");
            }
        }

        foreach (var (key, _) in settings)
        {
            if (!destination.Settings.ContainsKey(key))
            {
                _yaml.Warn(node, path, $"{destination.Name} has no setting '{key}'; it is ignored (settings: {string.Join(", ", destination.Settings.Keys)})");
            }
        }
    }

    /// <summary>Triggers and filter conditions are compiled on load, so that a typo stops start-up instead of silently matching nothing.</summary>
    private void CheckFql(YamlNode node, string path, string text)
    {
        if (!FqlExpression.TryCompile(text, out var expression, out var error))
        {
            _yaml.Problem(node, path, $"invalid FQL: {error.Message}");
            return;
        }

        foreach (var warning in expression.Warnings)
        {
            _yaml.Warn(node, path, $"{warning}");
        }
    }

    private List<string>? FieldList(YamlMappingNode map, string path, string key)
    {
        if (!map.Children.ContainsKey(new YamlScalarNode(key)))
        {
            return null;
        }

        var fields = new List<string>();
        foreach (var (node, itemPath) in _yaml.Items(map, key, path))
        {
            if (_yaml.Scalar(node, itemPath) is { } field)
            {
                fields.Add(field);
            }
        }

        return fields;
    }

    private string? Id(YamlMappingNode map, string path)
    {
        var id = _yaml.String(map, path, "id", required: true);
        if (id is not null && !IdPattern().IsMatch(id))
        {
            _yaml.Problem(map["id"], $"{path}.id", $"'{id}' is not a valid id: use 1–63 characters of a-z, 0-9 and '-', starting with a letter or digit");
            return null;
        }

        return id;
    }
}
