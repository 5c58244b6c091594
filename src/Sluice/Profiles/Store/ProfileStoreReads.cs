using System.Data.Common;
using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles.Store;

/// <summary>
/// What the Profile API and search read, the same on both stores: each read is one statement of
/// <see cref="ProfileSql"/> on a connection of its own; a store says only how to run one.
/// </summary>
internal abstract class ProfileStoreReads : IProfileStore
{
    public abstract long RunStep(Func<IProfileGraphReader, IReadOnlyList<ProfileChange>> resolve, IReadOnlyList<CursorAdvance> advances, bool changesGraph = true);

    public string? ProfileOf(Identifier identifier) => Query(ProfileSql.OwnerOf, ProfileSql.ReadText, identifier.Type, identifier.Value);

    public string? Survivor(string profileId) => Query(ProfileSql.Survivor, ProfileSql.ReadText, profileId);

    public IReadOnlyList<StoredIdentifier> ExternalIdsOf(string profileId) => Query(ProfileSql.ExternalIdsOf, ProfileSql.ReadExternalIds, profileId);

    public IReadOnlyList<StoredTrait> TraitRecordsOf(string profileId) => Query(ProfileSql.TraitRecordsOf, ProfileSql.ReadTraitRecords, profileId);

    public ProfileMetadata? MetadataOf(string profileId) => Query(ProfileSql.MetadataOf, ProfileSql.ReadMetadata, profileId);

    public IReadOnlyList<string> Search(string text, int limit) =>
        Query(ProfileSql.Search, ProfileSql.ReadTexts, text, System.Text.Json.JsonSerializer.Serialize(text), limit);

    public IReadOnlyList<EventPosition> EventsOf(string profileId, int limit, EventPosition? after, bool newestFirst) =>
        Query(newestFirst ? ProfileSql.EventsNewestFirst : ProfileSql.EventsOldestFirst, ProfileSql.ReadEventPositions, ProfileSql.EventsArguments(profileId, limit, after, newestFirst));

    public IReadOnlyList<ProfileLogEntry> LogOf(string profileId, int limit) => Query(ProfileSql.LogOf, ProfileSql.ReadLog, profileId, limit);

    public IReadOnlyList<IdentifierOwner> AllOwners() => Query(ProfileSql.AllOwners, ProfileSql.ReadOwners);

    public StoredIdentitySettings? StoredSettings() => Query(ProfileSql.StoredSettings, ProfileSql.ReadSettings);

    public IReadOnlyList<BlockedIdentifier> BlockedIdentifiers(int limit) => Query(ProfileSql.BlockedList, ProfileSql.ReadBlocked, limit);

    /// <summary>Runs <paramref name="sql"/> with <paramref name="values"/> as <c>$1</c>… and reads its rows.</summary>
    public abstract T Query<T>(string sql, Func<DbDataReader, T> read, params object[] values);
}
