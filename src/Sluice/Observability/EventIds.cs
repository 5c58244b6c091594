namespace Sluice.Observability;

/// <summary>Every log event id in one place, so that ids stay unique and searchable.</summary>
internal static class EventIds
{
    public const int ServerStarted = 1000;
    public const int WorkspaceLoaded = 1001;
    public const int WorkspaceWarning = 1002;
    public const int ApiDestinationShadowed = 1003;
    public const int ApiDestinationInvalid = 1004;
    public const int ApiDestinationUndecryptable = 1005;
    public const int WebAppAt = 1006;
    public const int ApiDestinationWarning = 1007;
    public const int WorkspaceRefreshFailed = 1008;
    public const int ClientRequestBroken = 1100;
    public const int ClientGone = 1101;
    public const int CommitFailed = 2000;
    public const int CommitStillFailing = 2004;
    public const int CommitsResumed = 2005;
    public const int PruneFailed = 2001;
    public const int IngestQueueFull = 2002;
    public const int MessageRejected = 2003;
    public const int ConsumerFailed = 2100;
    public const int LeaseLost = 2101;
    public const int LeaseRenewFailed = 2102;
    public const int LiveTailFailed = 2103;
    public const int LeasesHandedOver = 2104;
    public const int StoreListenFailed = 2105;
    public const int LogRetentionFailed = 2106;
    public const int RoutingFailed = 3000;
    public const int MappingFailed = 3001;
    public const int MappingCrashed = 3002;
    public const int DispatchFailed = 3100;
    public const int DeliveryFailed = 3101;
    public const int DeliveryLogPruneFailed = 3102;
    public const int AuthenticationValid = 3200;
    public const int AuthenticationInvalid = 3201;
    public const int AuthenticationUnknown = 3202;
    public const int AuthenticationCrashed = 3203;
    public const int PrivacyRoundFailed = 4000;
}
