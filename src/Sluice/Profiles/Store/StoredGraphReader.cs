using System.Data.Common;
using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles.Store;

/// <summary>
/// A step's reads of the stored graph, the same on both stores: a store says how to run a statement in
/// the step's connection (and transaction). A step's many reads go through <see cref="OwnersOf"/> and
/// <see cref="Read(IReadOnlyList{string})"/> (<see cref="ProfileGraph.Prefetch"/>), here batched statements
/// for a store where a statement is a round trip; SQLite's reader overrides them with point lookups. The
/// single reads are rare.
/// </summary>
internal abstract class StoredGraphReader : IProfileGraphReader
{
    public abstract long Version { get; }

    public string? OwnerOf(Identifier identifier) => Query(ProfileSql.OwnerOf, ProfileSql.ReadText, identifier.Type, identifier.Value);

    public ProfileIdentity Read(string profileId) =>
        Read([profileId]) is [var profile] ? profile : throw new InvalidOperationException($"profile {profileId} is not in the store");

    /// <summary>
    /// Identifiers or profiles read by one statement at most, where a statement is a round trip (PostgreSQL);
    /// SQLite's reader reads them one prepared lookup each (SqliteProfileStore).
    /// </summary>
    private const int BatchSize = 1_000;

    public virtual IReadOnlyDictionary<Identifier, string> OwnersOf(IReadOnlyList<Identifier> identifiers)
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

    public virtual IReadOnlyList<ProfileIdentity> Read(IReadOnlyList<string> profileIds) =>
        [.. profileIds.Chunk(BatchSize).SelectMany(chunk => Query(ProfileSql.ReadProfiles(chunk.Length), ProfileSql.ReadIdentities, [.. chunk]))];

    public IReadOnlySet<Identifier> Blocked() => Query(ProfileSql.Blocked, ProfileSql.ReadIdentifiers);

    public IReadOnlyList<IdentifierOwner> AllOwners() => Query(ProfileSql.AllOwners, ProfileSql.ReadOwners);

    public StoredIdentitySettings? StoredSettings() => Query(ProfileSql.StoredSettings, ProfileSql.ReadSettings);

    public IReadOnlyList<string> MembersOf(string profileId) => Query(ProfileSql.MembersOf, ProfileSql.ReadTexts, profileId);

    public IReadOnlyList<EventPosition> EventsOf(string profileId) => Query(ProfileSql.EventsOfOne, ProfileSql.ReadEventPositions, profileId);

    public IReadOnlyList<EventPosition> DropsOf(Identifier identifier) => Query(ProfileSql.DropsOf, ProfileSql.ReadEventPositions, identifier.Type, identifier.Value);

    /// <summary>Runs <paramref name="sql"/> with <paramref name="values"/> as <c>$1</c>… in the step, and reads its rows.</summary>
    public abstract T Query<T>(string sql, Func<DbDataReader, T> read, params object[] values);
}
