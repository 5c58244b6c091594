using System.Security.Cryptography;
using Sluice.Storage;
using Sluice.Workspace;

namespace Sluice.Admin;

/// <summary>
/// Admin API bearer tokens (<see cref="AdminTokenValues"/>): a token is shown once, when it is made. Every
/// request looks its token up in the store (one indexed read; the Admin API is not a hot path), so
/// a token revoked on any node stops working on every node at once.
/// </summary>
internal sealed class AdminTokens(IWorkspaceStore store)
{
    /// <summary>Makes a token with a role; returns its value, which is shown once and never stored.</summary>
    public (string Id, string Token) Mint(string name, string role, long now)
    {
        var token = AdminTokenValues.NewToken(role switch { Roles.Owner => AdminTokenValues.OwnerScope, Roles.Member => "member", _ => "readonly" });
        var id = "tok_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        store.AddAdminToken(id, AdminTokenValues.Hash(token), role, name, now);
        return (id, token);
    }

    /// <summary>Revokes a token; it stops working at once.</summary>
    public bool Revoke(string id) => store.RevokeAdminToken(id) is not null;

    /// <summary>
    /// The token an Authorization header carries: a bearer token, or HTTP Basic's user name (Segment's
    /// Profile API clients send theirs so); null when it carries none.
    /// </summary>
    public static string? FromAuthorization(string header) =>
        header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim()
        : Tracking.WriteKeys.TryReadBasic(header, out var user) ? user
        : null;

    /// <summary>A presented token as stored (its role, its id and name), or null when it is not valid.</summary>
    public StoredAdminToken? Authenticate(string token)
    {
        if (token.Length is 0 or > 512)
        {
            return null;
        }

        return store.FindAdminToken(AdminTokenValues.Hash(token));
    }

    /// <summary>Who a token is, as logs of what it did name it: its name and id.</summary>
    public static string Actor(StoredAdminToken token) => $"{token.Name} ({token.Id})";
}
