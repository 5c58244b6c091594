using Microsoft.AspNetCore.Connections;
using Sluice.Observability;

namespace Sluice.Hosting;

/// <summary>
/// A client that breaks its own request (a bad chunked body, a body too slow to arrive, a
/// connection closed mid-body) is the client's problem: one information line, and a 4xx when an
/// answer can still be sent, instead of an error with a stack trace that anyone could flood the log with.
/// </summary>
internal sealed partial class ClientConnectionErrors(RequestDelegate next, ILogger<ClientConnectionErrors> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        catch (BadHttpRequestException exception)
        {
            LogClientError(http.Request.Method, http.Request.Path, exception.StatusCode, exception.Message);
            if (!http.Response.HasStarted)
            {
                http.Response.Clear();
                http.Response.StatusCode = exception.StatusCode;
            }
        }
        catch (Exception exception) when (exception is ConnectionResetException or OperationCanceledException or IOException && http.RequestAborted.IsCancellationRequested)
        {
            LogClientGone(http.Request.Method, http.Request.Path, exception.Message);
        }
    }

    [LoggerMessage(EventId = EventIds.ClientRequestBroken, Level = LogLevel.Information, Message = "{Method} {Path}: the client's request was broken ({Status}): {Reason}")]
    private partial void LogClientError(string method, string path, int status, string reason);

    [LoggerMessage(EventId = EventIds.ClientGone, Level = LogLevel.Information, Message = "{Method} {Path}: the client closed the connection before its request was done: {Reason}")]
    private partial void LogClientGone(string method, string path, string reason);
}
