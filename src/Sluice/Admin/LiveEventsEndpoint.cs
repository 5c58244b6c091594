using System.Text;
using Sluice.Debugger;
using Sluice.Workspace;

namespace Sluice.Admin;

/// <summary>
/// <c>GET /api/v1/sources/{id}/live</c>: the source's messages as they arrive, as server-sent events
/// (<c>data: {message}</c>), with a comment every 15 s to keep proxies from closing the stream.
/// </summary>
internal static class LiveEventsEndpoint
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] KeepAliveComment = ": keep-alive\n\n"u8.ToArray();

    public static void Map(RouteGroupBuilder read) => read.MapGet("/sources/{id}/live", StreamAsync);

    private static async Task StreamAsync(string id, HttpContext http, SourceRegistry sources, LiveEvents live, LiveTail tail, IHostApplicationLifetime lifetime)
    {
        if (sources.FindById(id) is null)
        {
            await AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no source has the id '{id}'").ExecuteAsync(http);
            return;
        }

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        using var watcher = live.Watch(id);
        // From the log's head as of now: what is stored after the stream opens is shown.
        tail.StartWatching();
        // The stream ends when the watcher leaves or the server stops (an open stream must not hold up shutdown).
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var cancellation = ended.Token;
        var body = http.Response.Body;
        await body.WriteAsync(Encoding.UTF8.GetBytes(": watching source " + id + "\n\n"), cancellation);
        await body.FlushAsync(cancellation);
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                wait.CancelAfter(KeepAlive);
                bool more;
                try
                {
                    more = await watcher.Messages.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    await body.WriteAsync(KeepAliveComment, cancellation);
                    await body.FlushAsync(cancellation);
                    continue;
                }

                if (!more)
                {
                    return;
                }

                while (watcher.Messages.TryRead(out var message))
                {
                    // A stored message is one line of JSON, so one data line carries it.
                    await body.WriteAsync(DataPrefix, cancellation);
                    await body.WriteAsync(message, cancellation);
                    await body.WriteAsync(EventEnd, cancellation);
                }

                await body.FlushAsync(cancellation);
            }
        }
        catch (OperationCanceledException)
        {
            // The watcher went away.
        }
    }
}
