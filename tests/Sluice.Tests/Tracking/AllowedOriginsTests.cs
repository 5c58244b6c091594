using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sluice.Infrastructure;

namespace Sluice.Tracking;

/// <summary>A source with allowedOrigins takes events from pages of those origins only; servers and apps (no Origin) are not affected.</summary>
public sealed class AllowedOriginsTests : IAsyncLifetime
{
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync() => _sluice = await InProcessServer.StartAsync(workspaceYaml: $"""
        sources:
          - id: web
            writeKey: {InProcessServer.WriteKey}
            allowedOrigins: [https://shop.example, 'http://127.0.0.1:5173']
        """);

    public async Task DisposeAsync() => await _sluice.DisposeAsync();

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? origin)
    {
        var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("""{"userId":"u","event":"E"}""");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(InProcessServer.WriteKey + ":")));
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return _sluice.Http.SendAsync(request);
    }

    [Theory]
    [InlineData("https://shop.example", HttpStatusCode.OK)]
    [InlineData("HTTPS://SHOP.EXAMPLE", HttpStatusCode.OK)]
    [InlineData("http://127.0.0.1:5173", HttpStatusCode.OK)]
    [InlineData(null, HttpStatusCode.OK)]
    [InlineData("https://copycat.example", HttpStatusCode.Forbidden)]
    [InlineData("http://shop.example", HttpStatusCode.Forbidden)]
    public async Task Events_and_settings_are_taken_from_the_allowed_origins_only(string? origin, HttpStatusCode expected)
    {
        var posted = await SendAsync(HttpMethod.Post, "/v1/t", origin);
        var settings = await SendAsync(HttpMethod.Get, $"/v1/projects/{InProcessServer.WriteKey}/settings", origin);

        Assert.Equal(expected, posted.StatusCode);
        Assert.Equal(expected, settings.StatusCode);
        // A refusal keeps its CORS headers: the page's library must see it to drop the call instead of retrying it.
        Assert.Equal(origin ?? "*", posted.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task A_source_made_through_the_API_takes_allowed_origins_and_can_drop_them()
    {
        var created = await _sluice.Admin.PostAsync("/api/v1/sources", new StringContent("""{"id":"landing","allowedOrigins":["https://landing.example"]}"""));
        var key = (string)System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!["writeKey"]!;
        async Task<HttpStatusCode> PostFromAsync(string origin)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/t") { Content = new StringContent("""{"userId":"u","event":"E"}""") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));
            request.Headers.Add("Origin", origin);
            return (await _sluice.Http.SendAsync(request)).StatusCode;
        }

        var foreign = await PostFromAsync("https://copycat.example");
        var own = await PostFromAsync("https://landing.example");
        var opened = await _sluice.Admin.PatchAsync("/api/v1/sources/landing", new StringContent("""{"allowedOrigins":null}"""));
        var afterwards = await PostFromAsync("https://copycat.example");
        var bad = await _sluice.Admin.PatchAsync("/api/v1/sources/landing", new StringContent("""{"allowedOrigins":["https://landing.example/page"]}"""));

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.OK), (foreign, own));
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Assert.Equal(HttpStatusCode.OK, afterwards);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task A_refused_origin_stores_nothing_and_a_preflight_is_still_answered()
    {
        await SendAsync(HttpMethod.Post, "/v1/t", "https://copycat.example");
        var preflight = await SendAsync(HttpMethod.Options, "/v1/t", "https://copycat.example");

        Assert.Empty(await _sluice.EventsAsync());
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
    }
}
