using Sluice.EventLog;
using Sluice.Profiles.Identity;
using Sluice.Workspace;

namespace Sluice.Profiles.Recompute;

/// <summary>
/// Recomputes part of the graph from the stored events, inside one step of the store (the profiles lock
/// held): what an unmerge and a change of the identity settings do to the profiles they may change.
/// <para>
/// Which events: those of the starting profiles (and of every profile merged into them), plus any given;
/// then, repeatedly, those of every profile owning an identifier of these events, and the events that
/// dropped such an identifier. Nothing outside that set ever saw one of its identifiers, so recomputing
/// the whole log would leave every other profile as it is: recomputing the set gives what a fresh
/// computation gives. The set's profiles are taken apart and its events resolved again, in log order.
/// </para>
/// </summary>
internal sealed class ProfileRecomputation(IEventLog log)
{
    /// <summary>Events a recomputation takes at most: past it, it is refused rather than hold the profiles lock for long.</summary>
    public const int MaxEvents = 200_000;

    /// <summary>
    /// The changes that recompute, with <paramref name="settings"/>, <paramref name="blocked"/> also left out and <paramref name="unblocked"/> taken again,
    /// the profiles <paramref name="profiles"/> and the events <paramref name="events"/> can reach. The first
    /// change is <paramref name="takeApart"/>'s, given the profiles and events found.
    /// </summary>
    public Recomputed Plan(
        IProfileGraphReader reader,
        IEnumerable<string> profiles,
        IEnumerable<EventPosition> events,
        IdentitySettings settings,
        Identifier? blocked,
        Identifier? unblocked,
        Func<IReadOnlyList<string>, IReadOnlyList<string>, IReadOnlyList<EventPosition>, ProfileChange> takeApart,
        IProfileStepObserver? observer = null)
    {
        var messages = new Messages(log);
        var survivors = new List<string>();
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

        void Survivor(string profile)
        {
            if (!survivors.Contains(profile))
            {
                survivors.Add(profile);
            }
        }

        foreach (var profile in profiles)
        {
            Survivor(profile);
        }

        foreach (var e in events)
        {
            Found(e);
        }

        for (var next = 0; next < survivors.Count || pending.Count > 0;)
        {
            if (found.Count > MaxEvents)
            {
                throw new RecomputationRefusedException("too_many_events", $"this would recompute more than {MaxEvents:N0} events of the profiles it changes");
            }

            if (pending.Count == 0)
            {
                foreach (var member in reader.MembersOf(survivors[next++]))
                {
                    members.Add(member);
                    reader.EventsOf(member).ToList().ForEach(Found);
                }

                continue;
            }

            using var message = messages.At(pending.Dequeue());
            if (message is null)
            {
                continue;
            }

            foreach (var candidate in EventResolution.Candidates(message.Root, settings).Where(seen.Add))
            {
                if (reader.OwnerOf(candidate) is { } owner)
                {
                    Survivor(owner);
                }

                reader.DropsOf(candidate).ToList().ForEach(Found);
            }
        }

        var changes = new List<ProfileChange> { takeApart(survivors, members, [.. found]) };
        observer?.Observe(changes, 0, default);
        var graph = new ProfileGraph();
        graph.Begin(new WithoutProfiles(reader, [.. survivors], blocked, unblocked));
        var resolution = new EventResolution(graph, settings);
        var missing = 0;
        foreach (var position in found)
        {
            using var message = messages.At(position);
            if (message is null)
            {
                missing++;
                continue;
            }

            var e = new EventReference(message.SourceId, EventResolution.MessageIdOf(message.Root), position.Position, position.Index, message.ReceivedAt);
            var before = changes.Count;
            resolution.Resolve(message.Root, e, changes);
            observer?.Observe(changes, before, message.Root);
        }

        if (observer is not null)
        {
            changes.AddRange(observer.Finish(graph.IdentifierTypesOf));
        }

        var made = changes.OfType<ProfileCreated>().Select(c => c.ProfileId).Except(changes.OfType<ProfilesMerged>().Select(m => m.Merged)).ToList();
        return new Recomputed(changes, made, found.Count, missing);
    }

    /// <summary>The stored graph with the profiles being recomputed left out, and perhaps one identifier more or less blocked.</summary>
    private sealed class WithoutProfiles(IProfileGraphReader reader, HashSet<string> hidden, Identifier? blocked, Identifier? unblocked) : IProfileGraphReader
    {
        public long Version => reader.Version;

        public string? OwnerOf(Identifier identifier) => reader.OwnerOf(identifier) is { } owner && !hidden.Contains(owner) ? owner : null;

        public ProfileIdentity Read(string profileId) => reader.Read(profileId);

        public IReadOnlyDictionary<Identifier, string> OwnersOf(IReadOnlyList<Identifier> identifiers) =>
            reader.OwnersOf(identifiers).Where(o => !hidden.Contains(o.Value)).ToDictionary();

        public IReadOnlyList<ProfileIdentity> Read(IReadOnlyList<string> profileIds) => reader.Read(profileIds);

        public IReadOnlySet<Identifier> Blocked()
        {
            var all = new HashSet<Identifier>(reader.Blocked());
            if (blocked is { } one)
            {
                all.Add(one);
            }

            if (unblocked is { } lifted)
            {
                all.Remove(lifted);
            }

            return all;
        }

        public StoredIdentitySettings? StoredSettings() => reader.StoredSettings();

        public IReadOnlyList<IdentifierOwner> AllOwners() => reader.AllOwners();

        public IReadOnlyList<string> MembersOf(string profileId) => reader.MembersOf(profileId);

        public IReadOnlyList<EventPosition> EventsOf(string profileId) => reader.EventsOf(profileId);

        public IReadOnlyList<EventPosition> DropsOf(Identifier identifier) => reader.DropsOf(identifier);

        public T Query<T>(string sql, Func<System.Data.Common.DbDataReader, T> read, params object[] values) => reader.Query(sql, read, values);
    }
}

/// <summary>A recomputation's changes, the profiles it makes (by id, those that stand), how many events it resolved again and how many of them the log no longer kept.</summary>
internal sealed record Recomputed(IReadOnlyList<ProfileChange> Changes, IReadOnlyList<string> Profiles, int Events, int MissingEvents);

/// <summary>A recomputation (an unmerge, a settings change) that was not made, with a code and a message for the one who asked.</summary>
internal sealed class RecomputationRefusedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
