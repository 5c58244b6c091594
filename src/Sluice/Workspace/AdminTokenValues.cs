using System.Security.Cryptography;
using System.Text;

namespace Sluice.Workspace;

/// <summary>
/// What an admin token is: <c>sl_{scope}_</c> and 256 random bits, stored only as its SHA-256 (a
/// fast hash is enough for 256 random bits; no password stretching is needed). Here, below the
/// Admin API, because the first start makes the first owner token.
/// </summary>
internal static class AdminTokenValues
{
    public const string OwnerScope = "owner";

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static string NewToken(string scope) =>
        $"sl_{scope}_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
