using Sluice.Workspace;

namespace Sluice.Privacy;

/// <summary>The regulation types of Segment's regulations API that Sluice carries out, and what each does.</summary>
internal static class RegulationTypes
{
    public const string SuppressOnly = "SUPPRESS_ONLY";
    public const string Unsuppress = "UNSUPPRESS";
    public const string SuppressWithDelete = "SUPPRESS_WITH_DELETE";
    public const string DeleteOnly = "DELETE_ONLY";

    public static IReadOnlyList<string> All { get; } = [SuppressOnly, Unsuppress, SuppressWithDelete, DeleteOnly];

    public static bool Suppresses(string type) => type is SuppressOnly or SuppressWithDelete;

    public static bool Deletes(string type) => type is SuppressWithDelete or DeleteOnly;
}

/// <summary>Where a regulation's part in Sluice's own store is (<c>regulations.phase</c>).</summary>
internal static class ErasurePhases
{
    /// <summary>Erasing the subject's events in the log, up to where the log was when the regulation came.</summary>
    public const string Scan = "scan";

    /// <summary>Erasing the subject's profiles (and Engage's values of them), once every consumer has read the erased events.</summary>
    public const string Profiles = "profiles";

    /// <summary>The profiles' events are on record and the profiles counted; the profiles are erased next (a commit of the profile store's own).</summary>
    public const string ProfilesFound = "profiles_found";

    /// <summary>Erasing the events the profiles held that the scan did not find (anonymous events of the same person).</summary>
    public const string Erase = "erase";

    /// <summary>Removing the deliveries of every erased event, payloads and answers with them.</summary>
    public const string Deliveries = "deliveries";

    /// <summary>A suppression's waiting deliveries of the subject are filtered.</summary>
    public const string Cancel = "cancel";

    public const string Done = "done";
}

/// <summary>Statuses as Segment's regulations API spells them, overall and per destination.</summary>
internal static class RegulationStatuses
{
    public const string Initialized = "INITIALIZED";
    public const string Running = "RUNNING";
    public const string Finished = "FINISHED";
    public const string Failed = "FAILED";
    public const string NotSupported = "NOT_SUPPORTED";

    /// <summary>A destination's status from its requests' (one per subject): a failure shows, then work still going, then whether anything was deleted.</summary>
    public static string OfDestination(IReadOnlyCollection<DestinationRequest> requests) =>
        requests.Any(r => r.Status == Failed) && !requests.Any(IsWaiting) ? Failed
        : requests.Any(IsWaiting) ? requests.All(r => r.Status == Initialized && r.Attempts == 0) ? Initialized : Running
        : requests.All(r => r.Status == NotSupported) ? NotSupported
        : Finished;

    /// <summary>The regulation's status: running while any part runs; then failed when a destination failed (as Segment says), finished otherwise.</summary>
    public static string Overall(StoredRegulation regulation, IReadOnlyCollection<DestinationRequest> requests)
    {
        if (regulation.Phase != ErasurePhases.Done || requests.Any(IsWaiting))
        {
            return regulation.Started || requests.Any(r => r.Attempts > 0) ? Running : Initialized;
        }

        return requests.Any(r => r.Status == Failed) ? Failed : Finished;
    }

    public static bool IsWaiting(DestinationRequest request) => request.Status is Initialized or Running;
}

/// <summary>A regulation as stored. <see cref="SubjectIds"/> is null once its work is done: only <see cref="SubjectHashes"/> stay.</summary>
internal sealed record StoredRegulation(
    string Id,
    string Type,
    string SubjectType,
    IReadOnlyList<string>? SubjectIds,
    IReadOnlyList<string> SubjectHashes,
    int SubjectCount,
    long CreatedAt,
    string Actor,
    string Phase,
    long ScanUntil,
    long ScannedTo,
    long DeliveriesTo,
    long EventsErased,
    long DeliveriesErased,
    long ProfilesErased,
    string? WaitingFor,
    long? FinishedAt)
{
    /// <summary>The subjects, while their ids are kept.</summary>
    public IReadOnlyList<Subject> Subjects => SubjectIds?.Select(id => new Subject(SubjectType, id)).ToList() ?? [];

    /// <summary>The phase a regulation of this type starts in.</summary>
    public string FirstPhase => FirstPhaseOf(Type);

    /// <summary>Whether the store's part has begun: the scan moved, or a phase was left.</summary>
    public bool Started => ScannedTo > 0 || Phase != FirstPhase;

    /// <summary>The store's part's status: initialized, running, or finished.</summary>
    public string StoreStatus => Phase == ErasurePhases.Done ? RegulationStatuses.Finished : Started ? RegulationStatuses.Running : RegulationStatuses.Initialized;

    public static string FirstPhaseOf(string type) => type switch
    {
        RegulationTypes.SuppressOnly => ErasurePhases.Cancel,
        RegulationTypes.Unsuppress => ErasurePhases.Done,
        _ => ErasurePhases.Scan,
    };
}

/// <summary>A deletion's request to one destination for one subject (its index in the regulation's subjects): sent, retried and answered like a delivery.</summary>
internal sealed record DestinationRequest(
    string RegulationId,
    string DestinationId,
    int SubjectIndex,
    string Status,
    int Attempts,
    long NextAttemptAt,
    int? HttpStatus,
    string? Response,
    string? Reason,
    long UpdatedAt);
