using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Hosting;

namespace Sluice.Infrastructure;

/// <summary>
/// A Sluice server hosted in the test process on a real loopback port (real Kestrel, real SQLite),
/// for the many tests that need HTTP but no process boundary.
/// </summary>
internal sealed class InProcessServer : IAsyncDisposable
{
    public const string WriteKey = "wk_test_web";
    public const string SourceId = "web";

    private readonly WebApplication _app;

    private InProcessServer(WebApplication app, string baseUrl, string dataDirectory)
    {
        _app = app;
        BaseUrl = baseUrl;
        DataDirectory = dataDirectory;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        Admin = new HttpClient { BaseAddress = new Uri(baseUrl) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SluiceProcess.AdminToken);
    }

    public string BaseUrl { get; }

    public string DataDirectory { get; }

    public HttpClient Http { get; }

    public HttpClient Admin { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<InProcessServer> StartAsync(Func<ServeOptions, ServeOptions>? configure = null, string? workspaceYaml = null, TimeProvider? time = null)
    {
        var directory = TestPaths.NewTemporaryDirectory();
        var config = Path.Combine(directory, "sluice.yaml");
        await File.WriteAllTextAsync(config, workspaceYaml ?? $"""
            sources:
              - id: {SourceId}
                name: Website
                writeKey: {WriteKey}
              - id: app
                writeKey: wk_test_app
            """);
        var options = new ServeOptions
        {
            Urls = "http://127.0.0.1:0",
            DataDirectory = Path.Combine(directory, "data"),
            ConfigFile = config,
            AdminToken = SluiceProcess.AdminToken,
            Announce = false,
        };
        options = TestStore.Apply(configure?.Invoke(options) ?? options);
        var app = SluiceServer.Build(options, time, logging => logging.ClearProviders());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new InProcessServer(app, address, options.DataDirectory);
    }

    /// <summary>Waits for start-up's credential checks (FullStory's GET /me, say), so that a test can look at what follows them.</summary>
    public async Task WaitForCredentialChecksAsync()
    {
        if (((Delivery.AuthenticationChecker)Services.GetService(typeof(Delivery.AuthenticationChecker))!).ExecuteTask is { } checks)
        {
            await checks;
        }
    }

    /// <summary>POSTs a JSON body with the test source's write key in Basic auth.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string json, string? writeKey = WriteKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (writeKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        }

        return Http.SendAsync(request);
    }

    /// <summary>An HTTP client holding a token of <paramref name="role"/>, minted with the owner token.</summary>
    public async Task<HttpClient> ClientWithRoleAsync(string role)
    {
        var minted = await Admin.PostAsync("/api/v1/tokens", new StringContent($$"""{"name":"{{role}} for a test","role":"{{role}}"}"""));
        minted.EnsureSuccessStatusCode();
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)JsonNode.Parse(await minted.Content.ReadAsStringAsync())!["token"]!);
        return client;
    }

    public async Task<JsonArray> EventsAsync(string sourceId = SourceId, int limit = 10_000)
    {
        var body = await Admin.GetStringAsync($"/api/v1/sources/{sourceId}/events?limit={limit}");
        return JsonNode.Parse(body)!["events"]!.AsArray();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
