using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Sluice.Storage;

namespace Sluice.Admin;

/// <summary>
/// Admin API bearer tokens. Only a SHA-256 hash is stored: a token is shown once, when it is made.
/// Tokens are 256 random bits, so a fast hash is enough (no password stretching is needed).
/// </summary>
internal sealed class AdminTokens(IWorkspaceStore store)
{
    public const string OwnerScope = "owner";

    private readonly ConcurrentDictionary<string, string> _scopeByHash = new(StringComparer.Ordinal);

    /// <summary>Moves on each revocation, so that a lookup that raced one does not cache what it read.</summary>
    private long _revocations;

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static string NewToken(string scope) =>
        $"sl_{scope}_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Makes a token with a role; returns its value, which is shown once and never stored.</summary>
    public (string Id, string Token) Mint(string name, string role, long now)
    {
        var token = NewToken(role switch { Roles.Owner => OwnerScope, Roles.Member => "member", _ => "readonly" });
        var id = "tok_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        store.AddAdminToken(id, Hash(token), role, name, now);
        return (id, token);
    }

    /// <summary>Revokes a token; it stops working at once.</summary>
    public bool Revoke(string id)
    {
        Interlocked.Increment(ref _revocations);
        if (store.RevokeAdminToken(id) is not { } hash)
        {
            return false;
        }

        _scopeByHash.TryRemove(Convert.ToHexString(hash), out _);
        Interlocked.Increment(ref _revocations);
        return true;
    }

    /// <summary>The role (scope) of a presented token, or null when it is not valid.</summary>
    public string? Authenticate(string token)
    {
        if (token.Length is 0 or > 512)
        {
            return null;
        }

        var hash = Hash(token);
        var key = Convert.ToHexString(hash);
        if (_scopeByHash.TryGetValue(key, out var scope))
        {
            return scope;
        }

        var revocations = Interlocked.Read(ref _revocations);
        scope = store.FindAdminTokenScope(hash);
        if (scope is not null)
        {
            _scopeByHash[key] = scope;
            // A revocation between the read and the cache write may have removed the entry first: drop it again.
            if (Interlocked.Read(ref _revocations) != revocations)
            {
                _scopeByHash.TryRemove(key, out _);
            }
        }

        return scope;
    }
}
