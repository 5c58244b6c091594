using System.Security.Cryptography;
using Sluice.EventLog;
using Sluice.Privacy.Erasure;
using Sluice.Privacy.Store;
using Sluice.Workspace;

namespace Sluice.Privacy;

/// <summary>A regulation refused, with the field and the rule, as every 4xx of the Admin API names them.</summary>
internal sealed record RegulationProblem(string Field, string Rule, string Message);

/// <summary>
/// Makes regulations: a suppression is in force on this node when the call returns, and on every other node
/// at its next look at the workspace (at once on PostgreSQL's announcement, within a second otherwise); a
/// deletion's work starts in the background (<see cref="PrivacyWorker"/>).
/// </summary>
internal sealed class Regulations(RegulationStore store, DestinationDeletions deletions, IEventLog log, WorkspaceChanges workspace, PrivacyWorker worker, TimeProvider time)
{
    /// <summary>Subject ids one regulation takes at most (Segment's limit per call).</summary>
    public const int MaxSubjectIds = 5_000;

    /// <summary>The longest subject id taken.</summary>
    public const int MaxSubjectIdLength = 1_000;

    public static RegulationProblem? Check(string? type, string? subjectType, IReadOnlyList<string?>? subjectIds) =>
        type is null ? new("regulationType", "required", $"regulationType is required: one of {string.Join(", ", RegulationTypes.All)}")
        : !RegulationTypes.All.Contains(type) ? new("regulationType", "one_of", $"regulationType '{type}' is not one of {string.Join(", ", RegulationTypes.All)}")
        : subjectType is null ? new("subjectType", "required", $"subjectType is required: one of {string.Join(", ", Subject.Types)}")
        : !Subject.Types.Contains(subjectType) ? new("subjectType", "one_of", $"subjectType '{subjectType}' is not one of {string.Join(", ", Subject.Types)}")
        : subjectIds is null or { Count: 0 } ? new("subjectIds", "required", "subjectIds is required: a list of at least one id")
        : subjectIds.Count > MaxSubjectIds ? new("subjectIds", "max_items", $"a regulation takes at most {MaxSubjectIds:N0} subject ids; this one has {subjectIds.Count:N0}")
        : subjectIds.Select((id, i) => string.IsNullOrEmpty(id) || id.Length > MaxSubjectIdLength ? i : (int?)null).FirstOrDefault(i => i is not null) is { } at
            ? new($"subjectIds[{at}]", "string", $"each subject id is a non-empty string of at most {MaxSubjectIdLength:N0} characters")
        : null;

    public StoredRegulation Create(string type, string subjectType, IReadOnlyList<string> subjectIds, string actor)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var id = "reg_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var ids = subjectIds.Distinct(StringComparer.Ordinal).ToList();
        var phase = StoredRegulation.FirstPhaseOf(type);
        var regulation = new StoredRegulation(
            id, type, subjectType,
            phase == ErasurePhases.Done ? null : ids,
            [.. ids.Select(s => new Subject(subjectType, s).Hash)],
            ids.Count, now, actor, phase,
            ScanUntil: log.Head(), ScannedTo: 0, DeliveriesTo: 0, EventsErased: 0, DeliveriesErased: 0, ProfilesErased: 0, WaitingFor: null,
            FinishedAt: phase == ErasurePhases.Done ? now : null);
        store.Create(regulation, RegulationTypes.Deletes(type) ? deletions.Plan(id, ids.Count, now) : [], now);
        workspace.Refresh();
        worker.Wake();
        return regulation;
    }
}
