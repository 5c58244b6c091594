using System.Buffers;
using System.IO.Compression;

namespace Sluice.Tracking;

/// <summary>Why a body could not be read; mapped to a 4xx by the handler.</summary>
internal enum BodyProblem
{
    None,
    TooLarge,
    UnsupportedEncoding,
    CorruptEncoding,
}

/// <summary>
/// A request body read into a pooled buffer and decoded (gzip, deflate) only up to the size limit,
/// so that an oversized body, or a gzip bomb, costs at most the limit.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    private byte[] _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public static async Task<(RequestBody? Body, BodyProblem Problem)> ReadAsync(HttpRequest request, int limit, CancellationToken cancellation)
    {
        var encoding = request.Headers.ContentEncoding.ToString().Trim();
        Stream source;
        var isEncoded = true;
        if (encoding.Length == 0 || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            isEncoded = false;
            if (request.ContentLength > limit)
            {
                return (null, BodyProblem.TooLarge);
            }

            source = request.Body;
        }
        else if (encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
        {
            source = new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
        }
        else if (encoding.Equals("deflate", StringComparison.OrdinalIgnoreCase))
        {
            source = new ZLibStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
        }
        else
        {
            return (null, BodyProblem.UnsupportedEncoding);
        }

        var initial = request.ContentLength is long declared && !isEncoded ? (int)declared : 16 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initial, 1024));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        break;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await source.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, limit + 1) - length), cancellation);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    break;
                }
            }
        }
        catch (InvalidDataException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, BodyProblem.CorruptEncoding);
        }
        finally
        {
            if (isEncoded)
            {
                await source.DisposeAsync();
            }
        }

        if (length > limit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, BodyProblem.TooLarge);
        }

        return (new RequestBody(buffer, length), BodyProblem.None);
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
