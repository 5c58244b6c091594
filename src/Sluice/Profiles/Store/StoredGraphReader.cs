using System.Data.Common;
using Sluice.Engage.Computation;
using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles.Store;

/// <summary>
/// A step's reads of the stored graph, the same on both stores: a store says how to run a statement in
/// the step's connection (and transaction). A step's many reads go through <see cref="OwnersOf"/> and
/// <see cref="Read(IReadOnlyList{string})"/> (<see cref="ProfileGraph.Prefetch"/>); the single ones are rare.
/// </summary>
internal abstract class StoredGraphReader : IProfileGraphReader
{
    public abstract long Version { get; }

    public string? OwnerOf(Identifier identifier) => Query(ProfileSql.OwnerOf, ProfileSql.ReadText, identifier.Type, identifier.Value);

    public ProfileIdentity Read(string profileId) =>
        Read([profileId]) is [var profile] ? profile : throw new InvalidOperationException($"profile {profileId} is not in the store");

    /// <summary>Identifiers or profiles read by one statement at most (SQLite binds parameters by name, a lookup that grows with their number).</summary>
    protected virtual int BatchSize => 100;

    public IReadOnlyDictionary<Identifier, string> OwnersOf(IReadOnlyList<Identifier> identifiers)
    {
        var owners = new Dictionary<Identifier, string>();
        foreach (var chunk in identifiers.Chunk(BatchSize))
        {
            Query(ProfileSql.OwnersOf(chunk.Length), rows =>
            {
                while (rows.Read())
                {
                    owners[new Identifier(rows.GetString(0), rows.GetString(1))] = rows.GetString(2);
                }

                return owners;
            }, [.. chunk.SelectMany(i => new object[] { i.Type, i.Value })]);
        }

        return owners;
    }

    public IReadOnlyList<ProfileIdentity> Read(IReadOnlyList<string> profileIds) =>
        [.. profileIds.Chunk(BatchSize).SelectMany(chunk => Query(ProfileSql.ReadProfiles(chunk.Length), ProfileSql.ReadIdentities, [.. chunk]))];

    public IReadOnlySet<Identifier> Blocked() => Query(ProfileSql.Blocked, ProfileSql.ReadIdentifiers);

    public IReadOnlyList<IdentifierOwner> AllOwners() => Query(ProfileSql.AllOwners, ProfileSql.ReadOwners);

    public StoredIdentitySettings? StoredSettings() => Query(ProfileSql.StoredSettings, ProfileSql.ReadSettings);

    public IReadOnlyList<string> MembersOf(string profileId) => Query(ProfileSql.MembersOf, ProfileSql.ReadTexts, profileId);

    public IReadOnlyList<EventPosition> EventsOf(string profileId) => Query(ProfileSql.EventsOfOne, ProfileSql.ReadEventPositions, profileId);

    public IReadOnlyList<EventPosition> DropsOf(Identifier identifier) => Query(ProfileSql.DropsOf, ProfileSql.ReadEventPositions, identifier.Type, identifier.Value);

    public IReadOnlyDictionary<string, string> EngageStates(IReadOnlyList<string> profileIds)
    {
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in profileIds.Chunk(BatchSize))
        {
            Query(ProfileSql.EngageStates(chunk.Length), rows =>
            {
                while (rows.Read())
                {
                    states[rows.GetString(0)] = rows.GetString(1);
                }

                return states;
            }, [.. chunk]);
        }

        return states;
    }

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, TraitValue>> TraitValues(IReadOnlyList<string> profileIds)
    {
        var traits = new Dictionary<string, Dictionary<string, TraitValue>>(StringComparer.Ordinal);
        foreach (var chunk in profileIds.Chunk(BatchSize))
        {
            Query(ProfileSql.TraitValues(chunk.Length), rows =>
            {
                while (rows.Read())
                {
                    if (!traits.TryGetValue(rows.GetString(0), out var of))
                    {
                        traits[rows.GetString(0)] = of = new Dictionary<string, TraitValue>(StringComparer.Ordinal);
                    }

                    of[rows.GetString(1)] = new TraitValue(rows.IsDBNull(2) ? null : rows.GetString(2), rows.GetInt64(3), rows.GetInt64(4), rows.GetString(5));
                }

                return traits;
            }, [.. chunk]);
        }

        return traits.ToDictionary(t => t.Key, t => (IReadOnlyDictionary<string, TraitValue>)t.Value, StringComparer.Ordinal);
    }

    public IReadOnlyList<string> EngageDue(long now, int limit) => Query(ProfileSql.EngageDue, ProfileSql.ReadTexts, now, limit);

    public IReadOnlyDictionary<string, EngageAggregateRow> EngageAggregates() => Query(ProfileSql.EngageAggregates, ProfileSql.ReadEngageAggregates);

    public long EngageDefinitionsVersion() => Query(ProfileSql.EngageDefinitionsVersion, ProfileSql.ReadLong);

    public IReadOnlyList<StoredEngageDefinition> StoredEngageDefinitions() => Query(ProfileSql.StoredEngageDefinitions, ProfileSql.ReadEngageDefinitions);

    public IReadOnlyList<string> ProfileIdsAfter(string after, int limit) => Query(ProfileSql.ProfileIdsAfter, ProfileSql.ReadTexts, after, limit);

    public (string Fingerprint, string After)? EngageSweep() => Query(ProfileSql.EngageSweep, ProfileSql.ReadSweep);

    public IReadOnlyDictionary<int, long> CursorsOf(string consumer) => Query(ProfileSql.CursorsOf, rows =>
    {
        var cursors = new Dictionary<int, long>();
        while (rows.Read())
        {
            cursors[rows.GetInt32(0)] = rows.GetInt64(1);
        }

        return cursors;
    }, consumer);

    public IReadOnlySet<Identifier> DroppedAt(EventPosition e) => Query(ProfileSql.DroppedAt, ProfileSql.ReadIdentifiers, e.Position, e.Index);

    /// <summary>Runs <paramref name="sql"/> with <paramref name="values"/> as <c>$1</c>… in the step, and reads its rows.</summary>
    protected abstract T Query<T>(string sql, Func<DbDataReader, T> read, params object[] values);
}
