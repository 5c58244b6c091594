using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Sluice.EventLog;

/// <summary>
/// The partition of a message: every message of one user of one source lands in the same partition,
/// so a consumer that reads a partition in order sees that user's calls in the order they were stored.
/// </summary>
internal static class EventPartitions
{
    /// <summary>The partitions of a new store. Fixed once the store exists: changing it would move users between partitions.</summary>
    public const int DefaultCount = 64;

    /// <summary>
    /// XxHash64 of <c>sourceId ":" userKey</c> in UTF-8, modulo <paramref name="count"/>: the same on
    /// every node, machine and .NET version (string.GetHashCode is seeded per process).
    /// </summary>
    public static int Of(string sourceId, string? userKey, int count)
    {
        var length = Encoding.UTF8.GetMaxByteCount(sourceId.Length + 1 + (userKey?.Length ?? 0));
        byte[]? rented = null;
        var buffer = length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(sourceId, buffer);
            buffer[written++] = (byte)':';
            written += Encoding.UTF8.GetBytes(userKey ?? "", buffer[written..]);
            return (int)(XxHash64.HashToUInt64(buffer[..written]) % (ulong)count);
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
