using System.Buffers;
using System.Text.Json;

namespace Sluice.Actions.Mapping;

/// <summary>
/// A thread's writer for JSON whose bytes are copied out at the end (payloads, request bodies): its
/// buffer stays between uses instead of a new one growing for each. A use inside another gets a
/// writer of its own.
/// </summary>
internal sealed class RentedJsonWriter : IDisposable
{
    // One huge body must not keep its buffer for the thread's life.
    private const int LargestKept = 256 * 1024;

    [ThreadStatic]
    private static RentedJsonWriter? t_free;

    private readonly ArrayBufferWriter<byte> buffer = new(4096);

    private RentedJsonWriter()
    {
        Writer = new Utf8JsonWriter(buffer, JsValues.StringifyWriter);
    }

    /// <summary>Writes what <see cref="JsValues.JsonStringify"/> writes.</summary>
    public Utf8JsonWriter Writer { get; }

    public static RentedJsonWriter Rent()
    {
        var rented = t_free ?? new RentedJsonWriter();
        t_free = null;
        rented.buffer.ResetWrittenCount();
        rented.Writer.Reset(rented.buffer);
        return rented;
    }

    /// <summary>The bytes written so far, copied.</summary>
    public byte[] ToArray()
    {
        Writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public void Dispose()
    {
        if (buffer.Capacity <= LargestKept)
        {
            t_free = this;
        }
    }
}
