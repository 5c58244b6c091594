using System.Text.Json.Nodes;
using Microsoft.AspNetCore.DataProtection;
using Sluice.Observability;
using Sluice.Storage;

namespace Sluice.Workspace;

/// <summary>A change the Admin API refused, with the field it concerns (a path such as <c>mappings[0].trigger</c>) and why.</summary>
internal sealed record DestinationProblem(string Field, string Message);

/// <summary>
/// Destinations made through the Admin API, next to those the workspace file declares. A definition
/// is checked exactly as the file's are (it is read by the same loader, JSON being YAML), stored
/// with its settings encrypted (ASP.NET Core Data Protection, keys in the data folder), and the
/// routing table is rebuilt with it at once. Destinations the file declares cannot be changed here.
/// </summary>
internal sealed partial class ApiDestinations
{
    private readonly Lock _lock = new();
    private readonly DeclaredWorkspace _declared;
    private readonly IWorkspaceStore _store;
    private readonly SourceRegistry _sources;
    private readonly DestinationsInForce _inForce;
    private readonly IDataProtector _protector;
    private readonly TimeProvider _time;
    private readonly Destinations.DestinationCatalog _catalog;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public ApiDestinations(DeclaredWorkspace declared, IWorkspaceStore store, SourceRegistry sources, DestinationsInForce inForce, Destinations.DestinationCatalog catalog, IDataProtectionProvider protection, TimeProvider time, ILogger<ApiDestinations> logger)
    {
        (_declared, _store, _sources, _inForce, _catalog, _time, _logger) = (declared, store, sources, inForce, catalog, time, logger);
        _protector = protection.CreateProtector("Sluice.Destinations.Settings");
        Reload();
    }

    /// <summary>Rebuilds the API's destinations from the store (this node or another changed them) and the routing table with them.</summary>
    public void Reload()
    {
        lock (_lock)
        {
            _entries.Clear();
            foreach (var stored in _store.ListApiDestinations())
            {
                var definition = JsonNode.Parse(stored.Definition)!.AsObject();
                try
                {
                    definition["settings"] = JsonNode.Parse(_protector.Unprotect(stored.ProtectedSettings));
                }
                catch (System.Security.Cryptography.CryptographicException exception)
                {
                    // The keys in the data folder are gone or changed: the destination stays stored, not routed, until they are back.
                    LogUndecryptable(_logger, exception, stored.Id);
                    continue;
                }
                if (IsManagedByFile(stored.Id))
                {
                    LogShadowed(_logger, stored.Id);
                    continue;
                }

                var (instance, problems) = Check(definition, strict: false);
                if (instance is null)
                {
                    // Kept in the store: a later version may take it again. Its events are not routed meanwhile.
                    LogInvalid(_logger, stored.Id, string.Join("; ", problems.Select(p => $"{p.Field}: {p.Message}")));
                    continue;
                }

                _entries[stored.Id] = new Entry(definition, instance, stored.CreatedAt, stored.UpdatedAt);
            }

            Publish();
        }
    }

    public bool IsManagedByFile(string id) => _declared.File?.Destinations.Any(d => d.Id == id) == true;

    /// <summary>Every destination: the file's first, then the API's, in the order they were made.</summary>
    public IReadOnlyList<(DestinationInstance Instance, string ManagedBy)> All()
    {
        lock (_lock)
        {
            return [.. (_declared.File?.Destinations ?? []).Select(d => (d, "workspace-file")), .. _entries.Values.OrderBy(e => e.CreatedAt).Select(e => (e.Instance, "api"))];
        }
    }

    /// <summary>Makes a destination from a definition (id, type, sources, settings, …, as in the workspace file).</summary>
    public (DestinationInstance? Instance, IReadOnlyList<DestinationProblem> Problems) Create(JsonObject definition)
    {
        var id = (string?)definition["id"];
        lock (_lock)
        {
            if (id is not null && (IsManagedByFile(id) || _entries.ContainsKey(id)))
            {
                return (null, [new DestinationProblem("id", $"a destination with the id '{id}' exists already")]);
            }

            return Save(definition, createdAt: null);
        }
    }

    /// <summary>
    /// Changes an API destination: the given top-level keys replace the stored ones, except
    /// <c>settings</c>, which are merged key by key (a secret sent back masked keeps its value).
    /// </summary>
    public (DestinationInstance? Instance, IReadOnlyList<DestinationProblem> Problems) Update(string id, JsonObject changes, string mask)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out var entry))
            {
                return (null, [new DestinationProblem("id", $"no destination made through the API has the id '{id}'")]);
            }

            var definition = entry.Definition.DeepClone().AsObject();
            foreach (var (key, value) in changes)
            {
                if (key == "settings" && value is JsonObject settings)
                {
                    var merged = definition["settings"] as JsonObject ?? [];
                    foreach (var (name, setting) in settings)
                    {
                        if (setting is JsonValue v && v.TryGetValue<string>(out var text) && text == mask)
                        {
                            continue;
                        }

                        merged[name] = setting?.DeepClone();
                    }

                    definition["settings"] = merged;
                }
                else if (key != "id")
                {
                    definition[key] = value?.DeepClone();
                }
            }

            definition["id"] = id;
            if (SecretsToResend(entry, definition, changes["settings"] as JsonObject, mask) is { Count: > 0 } resend)
            {
                return (null, resend);
            }

            return Save(definition, entry.CreatedAt);
        }
    }

    /// <summary>
    /// A stored secret is not carried to a new address: when a URL setting (baseUrl, endpoint) changes,
    /// each secret setting with a stored value must be sent again, not masked or left out. Otherwise
    /// anyone who may edit a destination could send its API key to a server of their own.
    /// </summary>
    private List<DestinationProblem> SecretsToResend(Entry entry, JsonObject changed, JsonObject? sent, string mask)
    {
        if (_catalog.Find(entry.Instance.Type) is not { } type)
        {
            return [];
        }

        var before = entry.Definition["settings"] as JsonObject ?? [];
        var after = changed["settings"] as JsonObject ?? [];
        var moved = type.Settings.Where(s => s.Value.Format == "uri" && !JsonNode.DeepEquals(before[s.Key], after[s.Key])).Select(s => s.Key).ToList();
        if (moved.Count == 0)
        {
            return [];
        }

        return [.. type.Settings
            .Where(s => s.Value.IsSecret && before[s.Key] is not null && !moved.Contains(s.Key))
            .Where(s => sent?[s.Key] is not JsonValue v || (v.TryGetValue<string>(out var text) && text == mask))
            .Select(s => new DestinationProblem($"settings.{s.Key}", $"send this secret again: {string.Join(" and ", moved)} changes, and a stored secret is never carried to a new address"))];
    }

    /// <summary>
    /// Changes an API destination's definition with <paramref name="edit"/> (which may refuse, saying
    /// why), then checks and saves it as a whole.
    /// </summary>
    public (DestinationInstance? Instance, IReadOnlyList<DestinationProblem> Problems) Edit(string id, Func<JsonObject, DestinationProblem?> edit)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out var entry))
            {
                return (null, [new DestinationProblem("id", $"no destination made through the API has the id '{id}'")]);
            }

            var definition = entry.Definition.DeepClone().AsObject();
            return edit(definition) is { } refused ? (null, [refused]) : Save(definition, entry.CreatedAt);
        }
    }

    public bool Delete(string id)
    {
        lock (_lock)
        {
            if (!_entries.Remove(id))
            {
                return false;
            }

            _store.DeleteApiDestination(id);
            Publish();
            return true;
        }
    }

    private (DestinationInstance? Instance, IReadOnlyList<DestinationProblem> Problems) Save(JsonObject definition, long? createdAt)
    {
        var (instance, problems) = Check(definition, strict: true);
        if (instance is null)
        {
            return (null, problems);
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var stored = definition.DeepClone().AsObject();
        var settings = stored["settings"]?.ToJsonString() ?? "{}";
        stored.Remove("settings");
        _store.SaveApiDestination(new StoredApiDestination(instance.Id, stored.ToJsonString(), _protector.Protect(settings), createdAt ?? now, now));
        _entries[instance.Id] = new Entry(definition, instance, createdAt ?? now, now);
        Publish();
        return (instance, []);
    }

    /// <summary>Reads the definition with the workspace file's loader, so that the API accepts exactly what the file does, for the same reasons.</summary>
    private (DestinationInstance? Instance, IReadOnlyList<DestinationProblem> Problems) Check(JsonObject definition, bool strict)
    {
        var document = new JsonObject
        {
            ["sources"] = new JsonArray([.. _sources.All.Select(s => (JsonNode)new JsonObject { ["id"] = s.Id, ["name"] = s.Name })]),
            ["destinations"] = new JsonArray(definition.DeepClone()),
        };
        try
        {
            // ${…} in a value is text here, not an environment variable.
            var parsed = WorkspaceFileLoader.Parse(document.ToJsonString(), "request", name => "${" + name + "}", strict, _catalog);
            foreach (var warning in strict ? [] : parsed.Warnings)
            {
                LogStoredWarning(_logger, (string?)definition["id"] ?? "", warning);
            }

            return (parsed.Destinations.Single(), []);
        }
        catch (WorkspaceFileException exception)
        {
            return (null, [.. exception.Problems.Select(ToProblem)]);
        }
    }

    private static DestinationProblem ToProblem(string problem)
    {
        var (field, message) = LoaderProblems.Split(problem, "destinations[0]");
        return new DestinationProblem(field, message);
    }

    private void Publish() => _inForce.Replace([.. _declared.File?.Destinations ?? [], .. _entries.Values.OrderBy(e => e.CreatedAt).Select(e => e.Instance)]);

    [LoggerMessage(EventId = EventIds.ApiDestinationShadowed, Level = LogLevel.Warning, Message = "Destination {DestinationId}, made through the Admin API, is now declared in the workspace file too: the file's is used")]
    private static partial void LogShadowed(ILogger logger, string destinationId);

    [LoggerMessage(EventId = EventIds.ApiDestinationWarning, Level = LogLevel.Warning, Message = "Destination {DestinationId}, made through the Admin API: {Warning}")]
    private static partial void LogStoredWarning(ILogger logger, string destinationId, string warning);

    [LoggerMessage(EventId = EventIds.ApiDestinationInvalid, Level = LogLevel.Warning, Message = "Destination {DestinationId}, made through the Admin API, is no longer valid and is not routed: {Problems}")]
    private static partial void LogInvalid(ILogger logger, string destinationId, string problems);

    [LoggerMessage(EventId = EventIds.ApiDestinationUndecryptable, Level = LogLevel.Error, Message = "The settings of destination {DestinationId}, made through the Admin API, cannot be decrypted (are the keys in the data folder's keys/ directory the ones they were saved with?); it is not routed")]
    private static partial void LogUndecryptable(ILogger logger, Exception exception, string destinationId);

    private sealed record Entry(JsonObject Definition, DestinationInstance Instance, long CreatedAt, long UpdatedAt);
}
