using System.Buffers;
using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sluice.Spec;

namespace Sluice.Workspace;

/// <summary>A subject a privacy regulation names: a user id or an anonymous id, as Segment's regulations API spells the type.</summary>
internal readonly record struct Subject(string Type, string Id)
{
    public const string UserId = "USER_ID";
    public const string AnonymousId = "ANONYMOUS_ID";

    public static IReadOnlyList<string> Types { get; } = [UserId, AnonymousId];

    /// <summary>The message field the type names.</summary>
    public string Field => Type == UserId ? "userId" : "anonymousId";

    /// <summary>
    /// What the store keeps of a suppressed subject, and of a deletion's once it is done: SHA-256 of
    /// <c>type ":" id</c> in hex, so the id itself is not kept (a guessed id can still be checked against it,
    /// which is what suppression needs).
    /// </summary>
    public string Hash
    {
        get
        {
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            HashOf(Type, Id, hash);
            return Convert.ToHexStringLower(hash);
        }
    }

    /// <summary>SHA-256 of <c>type ":" id</c> in UTF-8 into <paramref name="hash"/>, without allocating for ids of usual length (ingest checks each message).</summary>
    public static void HashOf(string type, string id, Span<byte> hash)
    {
        var length = Encoding.UTF8.GetMaxByteCount(type.Length + 1 + id.Length);
        byte[]? rented = null;
        var buffer = length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(type, buffer);
            buffer[written++] = (byte)':';
            written += Encoding.UTF8.GetBytes(id, buffer[written..]);
            SHA256.HashData(buffer[..written], hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}

/// <summary>
/// The subjects privacy regulations suppress, as every node holds them: their messages are answered 200
/// at the Tracking API but neither stored nor delivered. Rebuilt from the store with the rest of the
/// workspace (<see cref="WorkspaceChanges"/>); checking a message costs nothing while none is suppressed.
/// </summary>
internal sealed class SuppressedSubjects
{
    private volatile FrozenSet<UInt128> _hashes = FrozenSet<UInt128>.Empty;

    public bool IsEmpty => _hashes.Count == 0;

    public int Count => _hashes.Count;

    /// <summary>Takes the store's list: each a <see cref="Subject.Hash"/>.</summary>
    public void Replace(IEnumerable<string> hashes) =>
        _hashes = hashes.Select(h => Key(Convert.FromHexString(h))).ToFrozenSet();

    public bool Covers(string? userId, string? anonymousId)
    {
        var hashes = _hashes;
        return hashes.Count > 0
            && ((userId is not null && hashes.Contains(KeyOf(Subject.UserId, userId)))
                || (anonymousId is not null && hashes.Contains(KeyOf(Subject.AnonymousId, anonymousId))));
    }

    /// <summary>Whether a stored message's userId or anonymousId is suppressed.</summary>
    public bool Covers(JsonElement message) =>
        !IsEmpty && message.ValueKind == JsonValueKind.Object
        && Covers(
            message.TryGetProperty("userId"u8, out var user) ? JsonStrings.Read(user) : null,
            message.TryGetProperty("anonymousId"u8, out var anonymous) ? JsonStrings.Read(anonymous) : null);

    private static UInt128 KeyOf(string type, string id)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Subject.HashOf(type, id, hash);
        return Key(hash);
    }

    private static UInt128 Key(ReadOnlySpan<byte> hash) => System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(hash);
}
