using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles.Recompute;

/// <summary>
/// Unmerge: an identifier is taken off a profile and blocked for good, and every profile it could have
/// shaped is recomputed from its stored events as if the identifier had never been sent
/// (<see cref="ProfileRecomputation"/>). Splitting a merge is the same thing with one of the identifiers
/// that linked the two. The consumer leaves the identifier out from then on.
/// </summary>
internal sealed class ProfileUnmerge(IProfileStore store, IEventLog log, IdentitySettingsSource settings, TimeProvider time)
{
    public UnmergeResult Unmerge(string profileId, Identifier identifier, string actor, string? note)
    {
        UnmergeResult? result = null;
        store.RunStep(reader =>
        {
            if (reader.OwnerOf(identifier) != profileId)
            {
                throw new RecomputationRefusedException("not_on_profile", $"{identifier} is not an identifier of profile {profileId}: unmerge takes one of the profile's own identifiers");
            }

            var at = time.GetUtcNow().ToUnixTimeMilliseconds();
            var recomputed = new ProfileRecomputation(log).Plan(
                reader, [profileId], [], settings.Effective(reader.StoredSettings()), identifier,
                (survivors, members, events) => new ProfilesRecomputed(ProfilesRecomputed.Unmerge, identifier, profileId, survivors, members, events, actor, note, at));
            result = new UnmergeResult(identifier, recomputed.Profiles, recomputed.Events, recomputed.MissingEvents);
            return recomputed.Changes;
        }, []);
        return result!;
    }
}

/// <summary>
/// What an unmerge did: the identifier now blocked, the profiles recomputed from the events (by id, those
/// that stand), how many events it resolved again and how many of them the log no longer kept.
/// </summary>
internal sealed record UnmergeResult(Identifier Blocked, IReadOnlyList<string> Profiles, int Events, int MissingEvents);
