namespace Sluice.Observability;

/// <summary>Every log event id in one place, so that ids stay unique and searchable.</summary>
internal static class EventIds
{
    public const int ServerStarted = 1000;
    public const int WorkspaceLoaded = 1001;
    public const int CommitFailed = 2000;
    public const int PruneFailed = 2001;
    public const int IngestQueueFull = 2002;
    public const int MessageRejected = 2003;
}
