using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Client;

namespace Sluice.Bench.Client;

/// <summary>
/// What a call costs the caller: building the message's JSON and queueing it. The client sends to
/// a local endpoint that answers 200 at once, so the queue keeps draining as in real use.
/// </summary>
[MemoryDiagnoser]
public class CallBenchmarks
{
    public static readonly Dictionary<string, object?> Properties = new()
    {
        ["order_id"] = "o-123",
        ["total"] = 42.5,
        ["currency"] = "EUR",
        ["coupon"] = null,
        ["products"] = new[] { new Dictionary<string, object?> { ["sku"] = "A-1", ["quantity"] = 2 } },
    };

    private static readonly Dictionary<string, object?> Traits = new() { ["email"] = "ada@example.com", ["plan"] = "pro", ["seats"] = 3 };

    private WebApplication _sink = null!;
    private SluiceClient _client = null!;

    [GlobalSetup]
    public void Start()
    {
        // No watcher on the content root (nothing reads settings files here): it would take an inotify instance and read every write under the working directory, a store's WAL included.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _sink = builder.Build();
        _sink.MapPost("/v1/batch", async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            await context.Response.WriteAsync("{\"success\":true}");
        });
        _sink.StartAsync().GetAwaiter().GetResult();
        var address = _sink.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _client = new SluiceClient(new SluiceClientOptions { WriteKey = "wk_bench", Host = new Uri(address), MaxQueueSize = 100_000, FlushAt = 100 });
    }

    [GlobalCleanup]
    public void Stop()
    {
        _client.Dispose();
        _sink.StopAsync().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public string Track() => _client.Track("user-42", "Order Completed", Properties);

    [Benchmark]
    public string Identify() => _client.Identify("user-42", Traits);
}
