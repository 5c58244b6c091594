namespace Sluice.Storage;

/// <summary>A source as stored: the workspace file (or first start) decides what exists; the store keeps generated write keys stable.</summary>
internal sealed record StoredSource(string Id, string Name, string WriteKey)
{
    /// <summary>"workspace-file" for sources the file declares; "api" for those made through the Admin API (and the first start's default).</summary>
    public string ManagedBy { get; init; } = SourceManagement.WorkspaceFile;

    /// <summary>The write key before the last rotation, valid until <see cref="PreviousValidUntil"/> so that clients can move over.</summary>
    public string? PreviousWriteKey { get; init; }

    public long? PreviousValidUntil { get; init; }

    /// <summary>The web origins whose pages may send with this source's key; null: any.</summary>
    public IReadOnlyList<string>? AllowedOrigins { get; init; }
}

internal static class SourceManagement
{
    public const string WorkspaceFile = "workspace-file";
    public const string Api = "api";
}

/// <summary>The last check of a destination's credentials with the service (test authentication).</summary>
/// <param name="Fingerprint">Of the settings checked; null when the service could not be reached, so that the next start checks again.</param>
/// <param name="Valid">Null when the service could not be reached.</param>
internal sealed record AuthenticationCheck(string DestinationId, string? Fingerprint, bool? Valid, string Message, long CheckedAt);

/// <summary>A destination made through the Admin API: its definition as given (without settings) and its settings, encrypted.</summary>
internal sealed record StoredApiDestination(string Id, string Definition, string ProtectedSettings, long CreatedAt, long UpdatedAt);

/// <summary>An admin token as listed: never its value or hash.</summary>
internal sealed record StoredAdminToken(string Id, string Name, string Role, long CreatedAt);

/// <summary>Sources, admin tokens, credential checks: the small, rarely written configuration tables.</summary>
internal interface IWorkspaceStore
{
    /// <summary>
    /// Held while a node applies the workspace file and the first start's defaults, so that nodes starting
    /// together apply them one after another: the second finds the first's sources and owner token
    /// instead of generating its own. Dispose to release.
    /// </summary>
    IDisposable HoldStartupLock();

    /// <summary>Moves whenever sources, tokens or API destinations change, whoever changed them: caches built at an older version are stale.</summary>
    long ReadVersion();

    IReadOnlyList<StoredSource> ReadSources();

    /// <summary>The subjects privacy regulations suppress, each as <c>Workspace.Subject.Hash</c>: part of the workspace's version.</summary>
    IReadOnlyList<string> ReadSuppressedSubjects();

    /// <summary>
    /// Makes the file's sources exactly <paramref name="fileSources"/>: inserts, updates, and deletes
    /// file sources not listed. Sources made through the API stay, unless the file now declares the same id.
    /// </summary>
    void ReplaceSources(IReadOnlyList<StoredSource> fileSources);

    void SaveSource(StoredSource source);

    bool DeleteSource(string id);

    bool HasAdminTokens();

    void AddAdminToken(string id, byte[] tokenHash, string scope, string name, long createdAt);

    /// <summary>Makes this the only token that came from the SLUICE_ADMIN_TOKEN variable (ids starting with <c>env-</c>).</summary>
    void ReplaceEnvironmentAdminToken(string id, byte[] tokenHash, string scope, string name, long createdAt);

    /// <summary>The token with this hash (its role is its stored scope), or null when there is none.</summary>
    StoredAdminToken? FindAdminToken(byte[] tokenHash);

    IReadOnlyList<StoredAdminToken> ListAdminTokens();

    /// <summary>Deletes the token; returns its hash (to forget it in caches), or null when there was none.</summary>
    byte[]? RevokeAdminToken(string id);

    IReadOnlyList<StoredApiDestination> ListApiDestinations();

    void SaveApiDestination(StoredApiDestination destination);

    bool DeleteApiDestination(string id);

    AuthenticationCheck? ReadAuthenticationCheck(string destinationId);

    void RecordAuthenticationCheck(AuthenticationCheck check);

    /// <summary>The retention settings saved through the Admin API (their JSON), when (Unix ms) and by whom; null when none were.</summary>
    (string Json, long UpdatedAt, string Actor)? ReadRetentionSettings();

    void SaveRetentionSettings(string json, long updatedAt, string actor);
}
