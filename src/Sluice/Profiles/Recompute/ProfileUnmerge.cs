using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles.Recompute;

/// <summary>
/// Unmerge: an identifier is taken off a profile and blocked for good, and every profile it could have
/// shaped is recomputed from its stored events as if the identifier had never been sent
/// (<see cref="ProfileRecomputation"/>). Splitting a merge is the same thing with one of the identifiers
/// that linked the two. The consumer leaves the identifier out from then on.
/// </summary>
internal sealed class ProfileUnmerge(IProfileStore store, IEventLog log, IdentitySettingsSource settings, TimeProvider time, IProfileStepPart? part = null)
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
                reader, [profileId], [], settings.Effective(reader.StoredSettings()), identifier, null,
                (survivors, members, events) => new ProfilesRecomputed(ProfilesRecomputed.Unmerge, identifier, null, profileId, survivors, members, events, actor, note, at), part?.Begin(reader, recomputation: true));
            result = new UnmergeResult(identifier, recomputed.Profiles, recomputed.Events, recomputed.MissingEvents);
            return recomputed.Changes;
        }, []);
        return result!;
    }

    /// <summary>
    /// Lifts an unmerge's block: the identifier is one again, and the profiles of the events that carried
    /// it since it was blocked (each logged it as left out) are recomputed with it, as if it had never been
    /// blocked.
    /// </summary>
    public UnblockResult Unblock(Identifier identifier, string actor, string? note)
    {
        UnblockResult? result = null;
        store.RunStep(reader =>
        {
            if (!reader.Blocked().Contains(identifier))
            {
                throw new RecomputationRefusedException("not_blocked", $"{identifier} is not blocked: only an identifier an unmerge took off can be unblocked");
            }

            var at = time.GetUtcNow().ToUnixTimeMilliseconds();
            var recomputed = new ProfileRecomputation(log).Plan(
                reader, [], reader.DropsOf(identifier), settings.Effective(reader.StoredSettings()), null, identifier,
                (survivors, members, events) => new ProfilesRecomputed(ProfilesRecomputed.Unblock, null, identifier, null, survivors, members, events, actor, note, at), part?.Begin(reader, recomputation: true));
            result = new UnblockResult(identifier, recomputed.Profiles, recomputed.Events, recomputed.MissingEvents);
            return recomputed.Changes;
        }, []);
        return result!;
    }
}

/// <summary>
/// What lifting a block did: the identifier an identifier again, the profiles the events that carried it
/// make now, how many events were resolved again and how many of them the log no longer kept.
/// </summary>
internal sealed record UnblockResult(Identifier Unblocked, IReadOnlyList<string> Profiles, int Events, int MissingEvents);

/// <summary>
/// What an unmerge did: the identifier now blocked, the profiles recomputed from the events (by id, those
/// that stand), how many events it resolved again and how many of them the log no longer kept.
/// </summary>
internal sealed record UnmergeResult(Identifier Blocked, IReadOnlyList<string> Profiles, int Events, int MissingEvents);
