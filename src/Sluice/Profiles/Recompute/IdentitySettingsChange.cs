using System.Text.Json.Nodes;
using Sluice.EventLog;
using Sluice.Workspace;

namespace Sluice.Profiles.Recompute;

/// <summary>
/// Identity settings changed through the Admin API: previewed (nothing saved), or saved in one step of
/// the store with the profiles they change recomputed, so that the graph is what the new settings make of
/// the events taken so far (<see cref="IdentityPreview"/> finds them, <see cref="ProfileRecomputation"/>
/// recomputes them); events after it are resolved with them. Or saved for new events only, which is
/// what Segment does.
/// </summary>
internal sealed class IdentitySettingsChange(IProfileStore store, IEventLog log, IConsumerCursors cursors, IdentitySettingsSource source, TimeProvider time, IProfileStepPart? part = null)
{
    public PreviewResult Preview(IdentitySettings settings) =>
        new IdentityPreview(log, cursors).Run(settings, store.BlockedIdentifiers(int.MaxValue).Select(b => b.Identifier).ToHashSet(), store.AllOwners());

    /// <summary>Saves <paramref name="settings"/>; with <paramref name="recompute"/>, recomputes the profiles they change (the preview of it is returned), else null.</summary>
    public PreviewResult? Save(IdentitySettings settings, string actor, bool recompute)
    {
        if (source.ManagedByFile)
        {
            throw new RecomputationRefusedException("managed_by_file", "the workspace file's identity: section sets the identity settings: change them there (an empty identity: section leaves them to the Admin API)");
        }

        PreviewResult? preview = null;
        store.RunStep(reader =>
        {
            var at = time.GetUtcNow().ToUnixTimeMilliseconds();
            List<ProfileChange> changes = [new SettingsSaved(IdentitySection.Write(settings).ToJsonString(), actor, at)];
            if (!recompute)
            {
                return changes;
            }

            preview = new IdentityPreview(log, cursors).Run(settings, reader.Blocked(), reader.AllOwners());
            if (preview.ChangedProfiles.Count > 0 || preview.EventsToRecompute.Count > 0)
            {
                var recomputed = new ProfileRecomputation(log).Plan(
                    reader, preview.ChangedProfiles, preview.EventsToRecompute, settings, null, null,
                    (survivors, members, events) => new ProfilesRecomputed(ProfilesRecomputed.Settings, null, null, null, survivors, members, events, actor, "identity settings changed", at), part?.Begin(reader, recomputation: true));
                changes.AddRange(recomputed.Changes);
            }

            return changes;
        }, []);
        return preview;
    }

    /// <summary>The settings in force now, as the <c>identity:</c> section would write them.</summary>
    public JsonObject Current() => IdentitySection.Write(source.Effective(store.StoredSettings()));
}
