using System.Text.Json;
using Sluice.EventLog;
using Sluice.Profiles.Identity;
using Sluice.Workspace;

namespace Sluice.Profiles.Unmerge;

/// <summary>
/// Unmerge: an identifier is taken off a profile and blocked for good, and every profile it could have
/// shaped is recomputed from its stored events as if the identifier had never been sent. Splitting a
/// merge is the same thing with one of the identifiers that linked the two.
/// <para>
/// Which profiles: the one holding the identifier; then, repeatedly, every profile owning an identifier
/// of their events, and the events that dropped such an identifier (with their profiles). Nothing outside
/// that set ever saw one of its identifiers, so a recomputation from the whole log with the identifier
/// blocked would give every other profile as it is: recomputing the set is enough, and gives what a
/// fresh computation gives. The set's events are resolved again in log order, in one step of the store
/// (the profiles lock held: the consumer waits), and the consumer leaves the identifier out from then on.
/// </para>
/// </summary>
internal sealed class ProfileUnmerge(IProfileStore store, IEventLog log, IdentitySettings settings, TimeProvider time)
{
    /// <summary>Events an unmerge recomputes at most: past it, it is refused rather than hold the profiles lock for long.</summary>
    public const int MaxEvents = 200_000;

    public UnmergeResult Unmerge(string profileId, Identifier identifier, string actor, string? note)
    {
        UnmergeResult? result = null;
        store.RunStep(reader =>
        {
            var (changes, done) = Plan(reader, profileId, identifier, actor, note);
            result = done;
            return changes;
        }, []);
        return result!;
    }

    private (List<ProfileChange>, UnmergeResult) Plan(IProfileGraphReader reader, string profileId, Identifier identifier, string actor, string? note)
    {
        if (reader.OwnerOf(identifier) != profileId)
        {
            throw new UnmergeRefusedException("not_on_profile", $"{identifier} is not an identifier of profile {profileId}: unmerge takes one of the profile's own identifiers");
        }

        var events = new Events(log);
        var survivors = new List<string> { profileId };
        var members = new List<string>();
        var seen = new HashSet<Identifier>();
        var found = new SortedSet<EventPosition>(Comparer<EventPosition>.Create((a, b) => (a.Position, a.Index).CompareTo((b.Position, b.Index))));
        var pending = new Queue<EventPosition>();
        void Found(EventPosition e)
        {
            if (found.Add(e))
            {
                pending.Enqueue(e);
            }
        }

        for (var next = 0; next < survivors.Count || pending.Count > 0;)
        {
            if (pending.Count == 0)
            {
                foreach (var member in reader.MembersOf(survivors[next++]))
                {
                    members.Add(member);
                    reader.EventsOf(member).ToList().ForEach(Found);
                }

                continue;
            }

            if (found.Count > MaxEvents)
            {
                throw new UnmergeRefusedException("too_many_events", $"unmerging {identifier} would recompute more than {MaxEvents:N0} events; block it in the identity settings instead (blockedValues), which takes effect for new events");
            }

            using var message = events.Message(pending.Dequeue());
            if (message is null)
            {
                continue;
            }

            foreach (var candidate in EventResolution.Candidates(message.RootElement, settings).Where(seen.Add))
            {
                if (reader.OwnerOf(candidate) is { } owner && !survivors.Contains(owner))
                {
                    survivors.Add(owner);
                }

                reader.DropsOf(candidate).ToList().ForEach(Found);
            }
        }

        var at = time.GetUtcNow().ToUnixTimeMilliseconds();
        var changes = new List<ProfileChange> { new ProfilesRecomputed(identifier, profileId, survivors, members, [.. found], actor, note, at) };
        var graph = new ProfileGraph();
        graph.Begin(new WithoutProfiles(reader, [.. survivors], identifier));
        var resolution = new EventResolution(graph, settings);
        var missing = 0;
        foreach (var position in found)
        {
            using var message = events.Message(position);
            if (message is not null)
            {
                var e = new EventReference(message.SourceId, EventResolution.MessageIdOf(message.RootElement), position.Position, position.Index, message.ReceivedAt);
                resolution.Resolve(message.RootElement, e, changes);
            }
            else
            {
                missing++;
            }
        }

        var made = changes.OfType<ProfileCreated>().Select(c => c.ProfileId).Except(changes.OfType<ProfilesMerged>().Select(m => m.Merged)).ToList();
        return (changes, new UnmergeResult(identifier, made, found.Count, missing));
    }

    /// <summary>The stored graph with some profiles left out (the ones being recomputed), and one more identifier blocked.</summary>
    private sealed class WithoutProfiles(IProfileGraphReader reader, HashSet<string> hidden, Identifier blocked) : IProfileGraphReader
    {
        public long Version => reader.Version;

        public string? OwnerOf(Identifier identifier) => reader.OwnerOf(identifier) is { } owner && !hidden.Contains(owner) ? owner : null;

        public ProfileIdentity Read(string profileId) => reader.Read(profileId);

        public IReadOnlySet<Identifier> Blocked() => new HashSet<Identifier>(reader.Blocked()) { blocked };

        public IReadOnlyList<string> MembersOf(string profileId) => reader.MembersOf(profileId);

        public IReadOnlyList<EventPosition> EventsOf(string profileId) => reader.EventsOf(profileId);

        public IReadOnlyList<EventPosition> DropsOf(Identifier identifier) => reader.DropsOf(identifier);
    }

    /// <summary>
    /// The messages at places in the log, read one row at a time (the row last read is kept: a row's
    /// events are usually asked for together). Null for a place the log no longer keeps.
    /// </summary>
    private sealed class Events(IEventLog log)
    {
        private LogRow? _row;
        private List<byte[]> _messages = [];

        public StoredMessage? Message(EventPosition at)
        {
            if (_row?.Position != at.Position)
            {
                (_row, _messages) = log.ReadFrom(at.Position - 1, 1, null) is [var read] && read.Position == at.Position
                    ? (read, LogMessages.Split(read.Messages))
                    : (null, []);
            }

            if (_row is not { } row || at.Index >= _messages.Count)
            {
                return null;
            }

            return new StoredMessage(row.SourceId, row.ReceivedAt, JsonDocument.Parse(_messages[at.Index]));
        }
    }

    private sealed record StoredMessage(string SourceId, long ReceivedAt, JsonDocument Document) : IDisposable
    {
        public JsonElement RootElement => Document.RootElement;

        public void Dispose() => Document.Dispose();
    }
}

/// <summary>
/// What an unmerge did: the identifier now blocked, the profiles recomputed from the events (by id, those
/// that stand), how many events it resolved again and how many of them the log no longer kept.
/// </summary>
internal sealed record UnmergeResult(Identifier Blocked, IReadOnlyList<string> Profiles, int Events, int MissingEvents);

/// <summary>An unmerge that was not made, with a code and a message for the one who asked.</summary>
internal sealed class UnmergeRefusedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
