using System.Text.Json;
using Sluice.EventLog;

namespace Sluice.Profiles;

/// <summary>
/// The messages at places in the log, read one row at a time (the row last read is kept: a row's events
/// are usually asked for together). Null for a place the log no longer keeps, or whose message was erased.
/// </summary>
internal sealed class Messages(IEventLog log)
{
    private LogRow? _row;
    private List<byte[]> _messages = [];

    public StoredMessage? At(EventPosition at)
    {
        if (_row?.Position != at.Position)
        {
            (_row, _messages) = log.ReadFrom(at.Position - 1, 1, null) is [var read] && read.Position == at.Position
                ? (read, LogMessages.Split(read.Messages))
                : (null, []);
        }

        return _row is { } row && at.Index < _messages.Count && !LogMessages.IsErased(_messages[at.Index])
            ? new StoredMessage(row.SourceId, row.ReceivedAt, JsonDocument.Parse(_messages[at.Index]))
            : null;
    }
}

/// <summary>A stored message, parsed, with its row's source and log time.</summary>
internal sealed record StoredMessage(string SourceId, long ReceivedAt, JsonDocument Document) : IDisposable
{
    public JsonElement Root => Document.RootElement;

    public void Dispose() => Document.Dispose();
}
