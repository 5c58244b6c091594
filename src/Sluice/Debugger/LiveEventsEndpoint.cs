using System.Text;
using Sluice.Workspace;

namespace Sluice.Debugger;

/// <summary>
/// <c>GET /api/v1/sources/{id}/live</c>: the source's messages as they arrive, as server-sent events
/// (<c>data: {message}</c>), with a comment every 15 s to keep proxies from closing the stream.
/// </summary>
internal static class LiveEventsEndpoint
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void Map(RouteGroupBuilder read) => read.MapGet("/sources/{id}/live", StreamAsync);

    private static async Task StreamAsync(string id, HttpContext http, SourceRegistry sources, LiveEvents live)
    {
        if (sources.FindById(id) is null)
        {
            await Admin.AdminResults.Error(StatusCodes.Status404NotFound, "not_found", $"no source has the id '{id}'").ExecuteAsync(http);
            return;
        }

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        using var watcher = live.Watch(id);
        var body = http.Response.Body;
        await body.WriteAsync(Encoding.UTF8.GetBytes(": watching source " + id + "\n\n"), http.RequestAborted);
        await body.FlushAsync(http.RequestAborted);
        try
        {
            while (!http.RequestAborted.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
                wait.CancelAfter(KeepAlive);
                bool more;
                try
                {
                    more = await watcher.Messages.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
                {
                    await body.WriteAsync(": keep-alive\n\n"u8.ToArray(), http.RequestAborted);
                    await body.FlushAsync(http.RequestAborted);
                    continue;
                }

                if (!more)
                {
                    return;
                }

                while (watcher.Messages.TryRead(out var message))
                {
                    // A stored message is one line of JSON, so one data line carries it.
                    await body.WriteAsync("data: "u8.ToArray(), http.RequestAborted);
                    await body.WriteAsync(message, http.RequestAborted);
                    await body.WriteAsync("\n\n"u8.ToArray(), http.RequestAborted);
                }

                await body.FlushAsync(http.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // The watcher went away.
        }
    }
}
