using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sluice.EventLog;

/// <summary>A log row's <c>messages</c>: its stored messages as one JSON array.</summary>
internal static class LogMessages
{
    /// <summary>Each message's bytes exactly as stored, in the order they were accepted.</summary>
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
}
