using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Admin;

public sealed class SourceEventsEndpointTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong")]
    [InlineData("Basic d2tfdGVzdF93ZWI6")]
    public async Task Without_a_valid_admin_token_the_answer_is_401(string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sources/web/events");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await _server.Http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task A_page_of_large_events_stops_near_a_megabyte_and_its_cursor_reads_the_rest_in_order()
    {
        var padding = new string('x', 30_000);
        for (var i = 0; i < 60; i += 10)
        {
            var batch = string.Join(',', Enumerable.Range(i, 10).Select(n => $$$"""{"type":"identify","userId":"u","messageId":"big-{{{n:00}}}","traits":{"p":"{{{padding}}}"}}"""));
            (await _server.PostAsync("/v1/batch", $$"""{"batch":[{{batch}}]}""")).EnsureSuccessStatusCode();
        }

        var seen = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var answer = await _server.Admin.GetByteArrayAsync("/api/v1/sources/web/events?limit=10000" + (cursor is null ? "" : "&before=" + cursor));
            Assert.True(answer.Length < 1_100_000, $"a page of {answer.Length} bytes");
            var page = JsonNode.Parse(answer)!;
            seen.AddRange(page["events"]!.AsArray().Select(e => (string)e!["messageId"]!));
            cursor = (string?)page["next"];
            pages++;
        }
        while (cursor is not null);

        Assert.True(pages >= 2);
        Assert.Equal(Enumerable.Range(0, 60).Reverse().Select(n => $"big-{n:00}"), seen);
    }

    [Fact]
    public async Task A_cursor_that_is_not_one_is_400()
    {
        var response = await _server.Admin.GetAsync("/api/v1/sources/web/events?before=yesterday");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Events_come_newest_first_limited_and_exactly_as_stored()
    {
        for (var i = 0; i < 5; i++)
        {
            await _server.PostAsync("/v1/track", $$$"""{"userId":"u","event":"E{{{i}}}","messageId":"m{{{i}}}","properties":{"n":{{{i}}}}}""");
        }

        var body = JsonNode.Parse(await _server.Admin.GetStringAsync("/api/v1/sources/web/events?limit=3"))!;

        var events = body["events"]!.AsArray();
        Assert.Equal(["E4", "E3", "E2"], events.Select(e => (string?)e!["event"]));
        Assert.Equal(4, (int)events[0]!["properties"]!["n"]!);
        Assert.Equal("m4", (string?)events[0]!["messageId"]);
    }

    [Fact]
    public async Task The_default_limit_is_100()
    {
        var batch = string.Join(',', Enumerable.Range(0, 120).Select(i => $$"""{"type":"track","userId":"u","event":"E{{i}}"}"""));
        await _server.PostAsync("/v1/batch", "{\"batch\":[" + batch + "]}");

        Assert.Equal(100, (await _server.Admin.GetFromJsonNodeAsync("/api/v1/sources/web/events"))["events"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10001")]
    [InlineData("ten")]
    [InlineData("+5")]
    [InlineData(" 5")]
    public async Task A_limit_outside_1_to_10000_is_400(string limit)
    {
        var response = await _server.Admin.GetAsync($"/api/v1/sources/web/events?limit={limit}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("10000", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_source_is_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Admin.GetAsync("/api/v1/sources/nope/events")).StatusCode);
    }
}

public sealed class EnvironmentAdminTokenTests
{
    [Fact]
    public async Task A_new_SLUICE_ADMIN_TOKEN_value_replaces_the_previous_one_on_restart()
    {
        var data = System.IO.Path.Combine(TestPaths.NewTemporaryDirectory(), "data");
        await using (await SluiceProcess.StartAsync(data, environment: new Dictionary<string, string> { ["SLUICE_ADMIN_TOKEN"] = "first-token" }))
        {
        }

        await using var server = await SluiceProcess.StartAsync(data, environment: new Dictionary<string, string> { ["SLUICE_ADMIN_TOKEN"] = "second-token" });
        using var client = new HttpClient();

        Assert.Equal(HttpStatusCode.OK, await StatusWith("second-token"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith("first-token"));

        async Task<HttpStatusCode> StatusWith(string token)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"{server.BaseUrl}/api/v1/sources/default/events");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return (await client.SendAsync(request)).StatusCode;
        }
    }
}

internal static class HttpClientJsonExtensions
{
    public static async Task<JsonNode> GetFromJsonNodeAsync(this HttpClient client, string path) =>
        JsonNode.Parse(await client.GetStringAsync(path))!;
}
