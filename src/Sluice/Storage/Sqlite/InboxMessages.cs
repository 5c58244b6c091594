using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sluice.Storage.Sqlite;

/// <summary>An inbox row's <c>messages</c> column: the request's stored messages as one JSON array.</summary>
internal static class InboxMessages
{
    /// <summary>Each message's bytes exactly as stored, in request order.</summary>
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
