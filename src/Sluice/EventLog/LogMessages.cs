using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sluice.EventLog;

/// <summary>A log row's <c>messages</c>: its stored messages as one JSON array.</summary>
internal static class LogMessages
{
    /// <summary>
    /// What an erased message (a deletion regulation's) leaves in its row: JSON <c>null</c>. The row keeps
    /// its length, so every other message keeps its index, which deliveries and profiles refer to.
    /// </summary>
    public static ReadOnlySpan<byte> Erased => "null"u8;

    /// <summary>Each message's bytes exactly as stored, in the order they were accepted (erased ones as <see cref="Erased"/>).</summary>
    public static List<byte[]> Split(byte[] array)
    {
        using var document = JsonDocument.Parse(array);
        var messages = new List<byte[]>(document.RootElement.GetArrayLength());
        foreach (var message in document.RootElement.EnumerateArray())
        {
            messages.Add(JsonMarshal.GetRawUtf8Value(message).ToArray());
        }

        return messages;
    }

    /// <summary>Whether a message of <see cref="Split"/> was erased: readers pass over it, counting its index.</summary>
    public static bool IsErased(ReadOnlySpan<byte> message) => message.SequenceEqual(Erased);

    /// <summary>Whether a message of a row parsed whole was erased (<see cref="Erased"/> is JSON's null).</summary>
    public static bool IsErased(System.Text.Json.JsonElement message) => message.ValueKind == System.Text.Json.JsonValueKind.Null;

    /// <summary>The row's array with the messages at <paramref name="indexes"/> erased; the others exactly as they were.</summary>
    public static byte[] Erase(byte[] array, IReadOnlySet<int> indexes)
    {
        var messages = Split(array);
        var joined = new ArrayBufferWriter<byte>(array.Length);
        joined.Write("["u8);
        for (var i = 0; i < messages.Count; i++)
        {
            if (i > 0)
            {
                joined.Write(","u8);
            }

            joined.Write(indexes.Contains(i) ? Erased : messages[i]);
        }

        joined.Write("]"u8);
        return joined.WrittenSpan.ToArray();
    }
}
