using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sluice.Infrastructure;

namespace Sluice.Tracking;

/// <summary>No input makes the server answer 5xx or fall over.</summary>
public sealed class MalformedInputTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, string> Bodies() => new()
    {
        { "/v1/track", "" },
        { "/v1/track", "{" },
        { "/v1/track", "{\"userId\":\"u\",\"event\":\"E\"" },
        { "/v1/track", "null" },
        { "/v1/track", "[]" },
        { "/v1/track", "\"text\"" },
        { "/v1/track", "12" },
        { "/v1/track", "{\"userId\":\"u\",\"event\":\"E\"}{}" },
        { "/v1/track", "{\"userId\":\"u\",\"userId\":\"v\",\"event\":\"E\"}" },
        { "/v1/track", "{\"userId\":\"\\ud800\",\"event\":\"E\"}" },
        { "/v1/track", "\u00ff\u00fe{}" },
        { "/v1/track", "{\"userId\":true,\"event\":[]}" },
        { "/v1/track", "{\"userId\":\"u\",\"event\":\"E\",\"timestamp\":{}}" },
        { "/v1/track", "{\"userId\":\"u\",\"event\":\"E\",\"context\":[]}" },
        { "/v1/track", "{\"userId\":\"u\",\"event\":\"E\",\"timestamp\":\"9999999-01-01T00:00:00Z\"}" },
        { "/v1/track", "{\"userId\":\"u\",\"event\":\"E\",\"timestamp\":\"0001-01-01T00:00:00Z\",\"sentAt\":\"9999-12-31T23:59:59Z\"}" },
        { "/v1/batch", "{\"batch\":{}}" },
        { "/v1/batch", "{\"batch\":\"x\"}" },
        { "/v1/batch", "{\"batch\":[1,\"a\",null,[],true]}" },
        { "/v1/batch", "{\"batch\":[],\"sentAt\":5}" },
        { "/v1/batch", "{\"batch\":[],\"context\":\"x\"}" },
        { "/v1/batch", "{}" },
        { "/v1/batch", "{\"batch\":[{\"type\":7}]}" },
        { "/v1/track", new string('[', 100_000) },
        { "/v1/track", "{\"a\":" + string.Concat(Enumerable.Repeat("{\"a\":", 500)) + "1" + new string('}', 501) },
        { "/v1/batch", "{\"batch\":[" + string.Join(',', Enumerable.Repeat("{\"type\":\"track\"}", 3000)) + "]}" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Malformed_bodies_get_a_4xx_or_a_listed_rejection_and_never_a_5xx(string path, string body)
    {
        var response = await _server.PostAsync(path, body);

        Assert.InRange((int)response.StatusCode, 200, 499);
        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.True((await _server.Http.GetAsync("/health")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task A_timestamp_whose_correction_leaves_the_calendar_is_rejected_not_a_crash()
    {
        var response = await _server.PostAsync("/v1/track", """{"userId":"u","event":"E","timestamp":"0001-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Random_bytes_as_gzip_are_400()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentEncoding.Add("gzip");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(InProcessServer.WriteKey + ":")));

        var response = await _server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_batch_of_more_than_2500_items_rejects_the_excess()
    {
        var items = string.Join(',', Enumerable.Range(0, 2600).Select(i => $$"""{"type":"track","userId":"u","event":"E{{i}}"}"""));
        var response = await _server.PostAsync("/v1/batch", "{\"batch\":[" + items + "]}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var excess = Assert.Single(body["rejected"]!.AsArray())!;
        Assert.Equal(2500, (int)excess["index"]!);
        Assert.Equal("max_items", (string?)excess["rule"]);
        Assert.Contains("the 100 from index 2500", (string?)excess["error"], StringComparison.Ordinal);
        Assert.Equal(2500, (await _server.EventsAsync()).Count);
    }

    [Fact]
    public async Task A_malformed_Basic_header_is_401()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = new StringContent("""{"userId":"u","event":"E"}""") };
        request.Headers.TryAddWithoutValidation("Authorization", "Basic %%%not-base64%%%");

        Assert.Equal(HttpStatusCode.Unauthorized, (await _server.Http.SendAsync(request)).StatusCode);
    }
}
