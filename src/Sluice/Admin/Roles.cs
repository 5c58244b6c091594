namespace Sluice.Admin;

/// <summary>What a token may do. Each Admin API endpoint needs one.</summary>
internal enum Permission
{
    /// <summary>Read sources, destinations, mappings, deliveries (secrets masked).</summary>
    Read,

    /// <summary>Change sources, destinations, mappings and filters; replay; send test requests.</summary>
    Write,

    /// <summary>Mint, list and revoke tokens.</summary>
    ManageTokens,

    /// <summary>Make and read privacy regulations (suppressions and deletions) and the suppressed subjects.</summary>
    Privacy,
}

/// <summary>The roles a token can have, and what each may do.</summary>
internal static class Roles
{
    public const string Owner = "workspace-owner";
    public const string Member = "workspace-member";
    public const string ReadOnly = "read-only";

    /// <summary>Handles erasure and objection requests: reads the workspace and makes regulations, changes nothing else.</summary>
    public const string PrivacyOfficer = "privacy-officer";

    public static IReadOnlyList<string> All { get; } = [Owner, Member, ReadOnly, PrivacyOfficer];

    /// <summary>The role of a stored token. Tokens made before roles existed were stored as "owner".</summary>
    public static string Normalize(string stored) => stored == Workspace.AdminTokenValues.OwnerScope ? Owner : stored;

    public static bool Allows(string role, Permission permission) => (Normalize(role), permission) switch
    {
        (Owner, _) => true,
        (Member, Permission.Read or Permission.Write) => true,
        (ReadOnly, Permission.Read) => true,
        (PrivacyOfficer, Permission.Read or Permission.Privacy) => true,
        _ => false,
    };

    /// <summary>The permission's name as the 403 answer says it.</summary>
    public static string Name(Permission permission) => permission switch
    {
        Permission.Read => "read",
        Permission.Write => "write",
        Permission.Privacy => "privacy",
        _ => "manage-tokens",
    };
}

/// <summary>Endpoint metadata: the permission a request needs.</summary>
internal sealed record RequiresPermission(Permission Permission);
