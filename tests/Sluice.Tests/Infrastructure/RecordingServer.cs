using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Infrastructure;

/// <summary>A request the stand-in service received, when, and the answer it was given.</summary>
internal sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public DateTimeOffset At { get; init; }

    public ScriptedAnswer Answer { get; init; } = new(200);

    /// <summary>The client got a 2xx answer (not a dropped connection or one it stopped waiting for).</summary>
    public bool Succeeded => Answer is { Status: >= 200 and < 300, Drop: false, Hang: false };
}

/// <summary>How the stand-in answers one request.</summary>
/// <param name="Hang">Answer nothing until the client gives up (or 30 s pass), to stand in for a service that times out.</param>
/// <param name="Drop">Close the connection without answering.</param>
/// <param name="BodyBytes">Answer this many bytes instead of <paramref name="Body"/>, written as they are made (never held), to stand in for a huge answer.</param>
internal sealed record ScriptedAnswer(int Status, string Body = "{}", string? RetryAfter = null, bool Hang = false, bool Drop = false, long BodyBytes = 0);

/// <summary>
/// The only kind of double in these tests: a local HTTP server standing in for a third-party
/// service. It records what it receives and answers from a script (then 200).
/// </summary>
internal sealed class RecordingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ScriptedAnswer> _script = new();
    private readonly ConcurrentQueue<RecordedRequest> _received = new();

    private RecordingServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public IReadOnlyList<RecordedRequest> Received => [.. _received];

    /// <summary>The answer to every request once the script is used up (default: 200).</summary>
    public ScriptedAnswer? Always { get; set; }

    /// <summary>This share of requests (0 to 1), picked at random once the script is used up, is answered 503: a flaky service.</summary>
    public double FailShare { get; set; }

    public static async Task<RecordingServer> StartAsync()
    {
        // No watcher on the content root (nothing reads settings files here): it would take an inotify instance and read every write under the working directory, a store's WAL included.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        RecordingServer? server = null;
        app.Run(async context =>
        {
            // Bodies are recorded as sent, decompressed when they say they are gzip.
            var gzip = context.Request.Headers.ContentEncoding.ToString() == "gzip";
            using var reader = new StreamReader(gzip ? new System.IO.Compression.GZipStream(context.Request.Body, System.IO.Compression.CompressionMode.Decompress) : context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var answer = server!._script.TryDequeue(out var scripted) ? scripted
                : server.FailShare > 0 && Random.Shared.NextDouble() < server.FailShare ? new ScriptedAnswer(503)
                : server.Always ?? new ScriptedAnswer(200);
            server._received.Enqueue(new RecordedRequest(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body)
            { At = DateTimeOffset.UtcNow, Answer = answer });
            if (answer.Drop)
            {
                context.Abort();
                return;
            }

            if (answer.Hang)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            context.Response.StatusCode = answer.Status;
            if (answer.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = answer.RetryAfter;
            }

            if (answer.BodyBytes > 0)
            {
                await WriteGeneratedAsync(context, answer.BodyBytes);
                return;
            }

            await context.Response.WriteAsync(answer.Body);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new RecordingServer(app, address);
        return server;
    }

    private static async Task WriteGeneratedAsync(HttpContext context, long size)
    {
        context.Response.ContentLength = size;
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        try
        {
            for (var written = 0L; written < size; written += chunk.Length)
            {
                await context.Response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, size - written)), context.RequestAborted);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            // The client stopped reading and closed the connection: that is what a careful client does.
        }
    }

    /// <summary>The next requests get these answers, in order; after them, 200.</summary>
    public void AnswerNext(params ScriptedAnswer[] answers)
    {
        foreach (var answer in answers)
        {
            _script.Enqueue(answer);
        }
    }

    public void ClearScript() => _script.Clear();

    public void ClearReceived() => _received.Clear();

    public Task<IReadOnlyList<RecordedRequest>> WaitForAsync(int count) => WaitUntilAsync(received => received.Count >= count);

    /// <summary>Waits (10 s at most, or <paramref name="within"/>) until what was received satisfies <paramref name="done"/>; returns what was received.</summary>
    public async Task<IReadOnlyList<RecordedRequest>> WaitUntilAsync(Func<IReadOnlyList<RecordedRequest>, bool> done, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline && !done(Received))
        {
            await Task.Delay(25);
        }

        return Received;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
