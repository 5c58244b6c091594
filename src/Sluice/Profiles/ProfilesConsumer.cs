using System.Globalization;
using System.Text.Json;
using Sluice.EventLog;
using Sluice.Profiles.Identity;
using Sluice.Workspace;

namespace Sluice.Profiles;

/// <summary>
/// Identity resolution as a consumer of the event log: each message's identifiers are resolved against
/// the graph (<see cref="IdentityResolver"/>), and what that makes (profiles, identifiers, merges, drops,
/// the event's place on its profile, an identify call's traits) is stored with the cursors, in one
/// transaction per step. Messages are taken in log order, so a graph rebuilt from the log is the same.
/// </summary>
internal sealed class ProfilesConsumer(IProfileStore store, IdentitySettings settings) : IEventLogConsumer
{
    private readonly ProfileGraph _graph = new();

    public string Name => "profiles";

    /// <summary>Profiles are built from the whole history the log keeps, as a rebuild would build them.</summary>
    public ConsumerStart Start => ConsumerStart.Beginning;

    /// <summary>A profile's id, made from the place in the log of the event that made it: a rebuild makes the same ids, and their order is the log's.</summary>
    public static string ProfileIdOf(long position, int index) => $"prf_{position:x16}{index:x8}";

    public void Consume(IReadOnlyList<LogRow> rows, IReadOnlyList<CursorAdvance> advances)
    {
        try
        {
            var version = store.RunStep(reader => Resolve(reader, rows), advances);
            _graph.Committed(version);
        }
        catch
        {
            _graph.Forget();
            throw;
        }
    }

    private List<ProfileChange> Resolve(IProfileGraphReader reader, IReadOnlyList<LogRow> rows)
    {
        _graph.Begin(reader);
        var resolver = new IdentityResolver(_graph, settings);
        var changes = new List<ProfileChange>();
        foreach (var row in rows)
        {
            var index = 0;
            foreach (var message in LogMessages.Split(row.Messages))
            {
                using var document = JsonDocument.Parse(message);
                Resolve(resolver, document.RootElement, new EventReference(row.SourceId, MessageIdOf(document.RootElement), row.Position, index++, row.ReceivedAt), changes);
            }
        }

        return changes;
    }

    private void Resolve(IdentityResolver resolver, JsonElement message, EventReference e, List<ProfileChange> changes)
    {
        var type = message.TryGetProperty("type", out var typeValue) ? typeValue.GetString() : null;
        IReadOnlyList<Identifier> identifiers;
        if (type == "alias")
        {
            // Segment's Unify does not merge on alias; with aliasMerges, alias is {user_id: userId} plus its previousId.
            if (!settings.AliasMerges)
            {
                return;
            }

            identifiers = AliasIdentifiers(message);
        }
        else
        {
            identifiers = IdentifierExtraction.From(message, settings);
        }

        if (identifiers.Count == 0)
        {
            return;
        }

        var resolution = resolver.Resolve(identifiers, e.ReceivedAt);
        if (resolution.Unresolved)
        {
            changes.AddRange(resolution.Dropped.Select(d => new IdentifierDropped(null, d, e)));
            return;
        }

        var rootId = resolution.Root?.Id ?? ProfileIdOf(e.Position, e.Index);
        if (resolution.CreatesProfile)
        {
            changes.Add(new ProfileCreated(rootId, e));
        }

        var merges = resolution.Root?.Merges ?? 0;
        foreach (var merged in resolution.Merged)
        {
            merges += merged.Merges + 1;
            var linked = resolution.Kept.Where(i => merged.Identifiers.Any(m => m.Identifier == i)).ToList();
            changes.Add(new ProfilesMerged(rootId, merged.Id, merges, linked, resolution.Kept, e));
        }

        changes.AddRange(resolution.Added.Select(i => new IdentifierAdded(rootId, i, e)));
        changes.AddRange(resolution.Dropped.Select(d => new IdentifierDropped(rootId, d, e)));
        changes.Add(new EventAttached(rootId, e));
        if (type == "identify" && message.TryGetProperty("traits", out var traits) && traits.ValueKind == JsonValueKind.Object)
        {
            var values = traits.EnumerateObject()
                .Select(t => KeyValuePair.Create(t.Name, t.Value.ValueKind == JsonValueKind.Null ? null : t.Value.GetRawText()))
                .ToList();
            if (values.Count > 0)
            {
                changes.Add(new TraitsSet(rootId, values, TimestampOf(message) ?? e.ReceivedAt, e));
            }
        }

        _graph.Apply(resolution, rootId, e.ReceivedAt);
    }

    /// <summary>
    /// alias as the event <c>{user_id: userId}</c> plus its previousId: a <c>user_id</c> when a profile has it as
    /// one, an <c>anonymous_id</c> otherwise (design/profiles-engage.md §1.4).
    /// </summary>
    private List<Identifier> AliasIdentifiers(JsonElement message)
    {
        var identifiers = new List<Identifier>();
        if (Text(message, "userId") is { } userId && IdentifierExtraction.Usable(userId, settings))
        {
            identifiers.Add(new Identifier("user_id", userId));
        }

        if (Text(message, "previousId") is { } previousId && IdentifierExtraction.Usable(previousId, settings))
        {
            var asUser = new Identifier("user_id", previousId);
            var previous = _graph.Owners([asUser]).Count > 0 ? asUser : new Identifier("anonymous_id", previousId);
            if (!identifiers.Contains(previous))
            {
                identifiers.Add(previous);
            }
        }

        return identifiers;
    }

    private static string MessageIdOf(JsonElement message) => Text(message, "messageId") ?? "";

    private static string? Text(JsonElement message, string name) =>
        message.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? TimestampOf(JsonElement message) =>
        Text(message, "timestamp") is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.ToUnixTimeMilliseconds()
            : null;
}
