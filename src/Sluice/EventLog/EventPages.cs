using System.Data.Common;

namespace Sluice.EventLog;

/// <summary>A page of a source's messages, newest first, built the same way from any store's rows.</summary>
internal static class EventPages
{
    /// <param name="rows">The source's log rows from <paramref name="from"/> down, newest first: column 0 the position, 1 the messages (a JSON array).</param>
    public static EventPage Newest(DbDataReader rows, int limit, EventPosition? from, int maxBytes)
    {
        var newest = new List<byte[]>(Math.Min(limit, 1024));
        var bytes = 0L;
        while (rows.Read())
        {
            var position = rows.GetInt64(0);
            var messages = LogMessages.Split(rows.GetFieldValue<byte[]>(1));
            var start = from is { } f && f.Position == position ? Math.Min(f.Index, messages.Count - 1) : messages.Count - 1;
            for (var i = start; i >= 0; i--)
            {
                if (newest.Count == limit || (newest.Count > 0 && bytes + messages[i].Length > maxBytes))
                {
                    return new EventPage(newest, new EventPosition(position, i));
                }

                if (LogMessages.IsErased(messages[i]))
                {
                    continue;
                }

                newest.Add(messages[i]);
                bytes += messages[i].Length;
            }
        }

        return new EventPage(newest, null);
    }
}
