using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sluice.Profiles.Identity;
using Sluice.Workspace;

namespace Sluice.Profiles;

/// <summary>
/// What one message does to the graph, as changes: its identifiers (less the blocked ones) resolved by
/// <see cref="IdentityResolver"/>, and the profiles, identifiers, merges, drops, the event's place and an
/// identify call's traits that follow. The profiles consumer and an unmerge's recomputation both use it,
/// so a graph recomputed from the log is the one the consumer built.
/// </summary>
internal sealed class EventResolution(ProfileGraph graph, IdentitySettings settings)
{
    private readonly IdentityResolver _resolver = new(graph, settings);

    /// <summary>A profile's id, made from the place in the log of the event that made it: a rebuild makes the same ids, and their order is the log's.</summary>
    public static string ProfileIdOf(long position, int index) => $"prf_{position:x16}{index:x8}";

    /// <param name="candidates">The message's <see cref="Candidates"/>, when the caller has read them already: an alias's are read again, against the graph.</param>
    public void Resolve(JsonElement message, EventReference e, List<ProfileChange> changes, IReadOnlyList<Identifier>? candidates = null)
    {
        IReadOnlyList<Identifier> identifiers;
        if (IsType(message, "alias"))
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
            identifiers = candidates ?? IdentifierExtraction.From(message, settings);
        }

        IReadOnlyList<DroppedIdentifier> blocked = [];
        if (graph.Blocked.Count > 0)
        {
            blocked = [.. identifiers.Where(graph.Blocked.Contains).Select(i => new DroppedIdentifier(i, DropReason.IdentifierBlocked))];
            identifiers = [.. identifiers.Where(i => !graph.Blocked.Contains(i))];
        }

        if (identifiers.Count == 0)
        {
            changes.AddRange(blocked.Select(d => new IdentifierDropped(null, d, e)));
            return;
        }

        var resolution = _resolver.Resolve(identifiers, e.ReceivedAt);
        if (resolution.Unresolved)
        {
            changes.AddRange(blocked.Concat(resolution.Dropped).Select(d => new IdentifierDropped(null, d, e)));
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

        // By index: a foreach over these lists' interface would allocate an enumerator an event.
        for (var i = 0; i < resolution.Added.Count; i++)
        {
            changes.Add(new IdentifierAdded(rootId, resolution.Added[i], e));
        }

        for (var i = 0; i < blocked.Count + resolution.Dropped.Count; i++)
        {
            changes.Add(new IdentifierDropped(rootId, i < blocked.Count ? blocked[i] : resolution.Dropped[i - blocked.Count], e));
        }

        changes.Add(new EventAttached(rootId, e));
        if (IsType(message, "identify") && message.TryGetProperty("traits", out var traits) && traits.ValueKind == JsonValueKind.Object)
        {
            var values = new List<KeyValuePair<string, string?>>();
            foreach (var trait in traits.EnumerateObject())
            {
                // A name with U+0000 keeps its place with U+FFFD there: PostgreSQL's text cannot hold the character.
                values.Add(KeyValuePair.Create(trait.Name.Replace('\0', '\uFFFD'), trait.Value.ValueKind == JsonValueKind.Null ? null : trait.Value.GetRawText()));
            }

            if (values.Count > 0)
            {
                changes.Add(new TraitsSet(rootId, values, TimestampOf(message) ?? e.ReceivedAt, e));
            }
        }

        graph.Apply(resolution, rootId, e.ReceivedAt);
    }

    /// <summary>
    /// Every identifier the message could resolve with, whatever the graph holds and whether blocked or
    /// not: an alias's previousId both as a <c>user_id</c> and as an <c>anonymous_id</c>. What an unmerge
    /// follows to find the events its recomputation must take.
    /// </summary>
    public static IReadOnlyList<Identifier> Candidates(JsonElement message, IdentitySettings settings)
    {
        if (!IsType(message, "alias"))
        {
            return IdentifierExtraction.From(message, settings);
        }

        if (!settings.AliasMerges)
        {
            return [];
        }

        var candidates = new List<Identifier>();
        if (Text(message, "userId") is { } userId && IdentifierExtraction.Usable(userId, settings))
        {
            candidates.Add(new Identifier("user_id", userId));
        }

        if (Text(message, "previousId") is { } previousId && IdentifierExtraction.Usable(previousId, settings))
        {
            candidates.AddRange([new Identifier("user_id", previousId), new Identifier("anonymous_id", previousId)]);
        }

        return [.. candidates.Distinct()];
    }

    public static string MessageIdOf(JsonElement message) => Text(message, "messageId") ?? "";

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
            var previous = graph.Owners([asUser]).Count > 0 ? asUser : new Identifier("anonymous_id", previousId);
            if (!identifiers.Contains(previous))
            {
                identifiers.Add(previous);
            }
        }

        return identifiers;
    }

    /// <summary>Whether the message's type is <paramref name="type"/>, read without making a string of it.</summary>
    private static bool IsType(JsonElement message, string type) =>
        message.TryGetProperty("type", out var value) && value.ValueKind == JsonValueKind.String && value.ValueEquals(type);

    private static string? Text(JsonElement message, string name) =>
        message.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A message's <c>timestamp</c> (Unix ms; null: none, or not a time): what traits and Engage's windows order by.</summary>
    public static long? TimestampOf(JsonElement message)
    {
        if (!message.TryGetProperty("timestamp"u8, out var timestamp) || timestamp.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        // A UTC time in ISO 8601 (what SDKs send) is read without making it a string; anything else as before.
        if (JsonMarshal.GetRawUtf8Value(timestamp) is [.., (byte)'Z', (byte)'"'] && timestamp.TryGetDateTimeOffset(out var utc))
        {
            return utc.ToUnixTimeMilliseconds();
        }

        return DateTimeOffset.TryParse(timestamp.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.ToUnixTimeMilliseconds()
            : null;
    }
}
