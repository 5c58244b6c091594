using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Admin;

/// <summary>Every Admin API body with odd JSON gets a 400 naming the field and the rule, never a 500.</summary>
public sealed class OddAdminBodiesTests : IAsyncLifetime
{
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync() => _sluice = await InProcessServer.StartAsync(workspaceYaml:
        $"sources:\n  - {{id: web, writeKey: {InProcessServer.WriteKey}}}\n");

    public async Task DisposeAsync() => await _sluice.DisposeAsync();

    public static TheoryData<string, string, string, string, string> OddBodies()
    {
        var data = new TheoryData<string, string, string, string, string>();
        (string Method, string Path)[] endpoints =
        [
            ("POST", "/api/v1/destinations"),
            ("PATCH", "/api/v1/destinations/api-hook"),
            ("POST", "/api/v1/destinations/api-hook/mappings"),
            ("POST", "/api/v1/destinations/api-hook/filters"),
            ("POST", "/api/v1/sources"),
            ("POST", "/api/v1/sources/web/rotate-write-key"),
            ("POST", "/api/v1/tokens"),
            ("POST", "/api/v1/mappings/test"),
            ("POST", "/api/v1/destinations/api-hook/replay"),
        ];
        foreach (var (method, path) in endpoints)
        {
            data.Add(method, path, """{"name":"n","settings":{"\ud800":"x"}}""", "settings.\\ud800", "utf16");
            data.Add(method, path, """{"name":"n\udc00"}""", "name", "utf16");
            data.Add(method, path, """{"name":"a","name":"b"}""", "name", "duplicate_key");
            data.Add(method, path, "{\"name\":\"\xff\"}", "name", "utf8");
            data.Add(method, path, """{"graceHours":1e999}""", "graceHours", "number_range");
            data.Add(method, path, """{"name":"a\u0000b"}""", "name", "no_nul");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OddBodies))]
    public async Task Odd_JSON_in_an_Admin_API_body_is_400_with_the_field_and_the_rule(string method, string path, string body, string field, string rule)
    {
        await _sluice.Admin.PostAsync("/api/v1/destinations", new StringContent("""{"id":"api-hook","type":"webhook","sources":["web"]}"""));
        var bytes = body.Any(c => c > 0xff) ? Encoding.UTF8.GetBytes(body) : Encoding.Latin1.GetBytes(body);
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await _sluice.Admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal((field, rule), ((string?)error["field"], (string?)error["rule"]));
    }

    [Theory]
    [InlineData("""{"id":"slow","type":"webhook","sources":["web"],"retryWindow":"99999999999d"}""", "retryWindow")]
    [InlineData("""{"id":"slow","type":"webhook","sources":["web"],"rateLimit":1e-300}""", "rateLimit")]
    public async Task Durations_and_rates_beyond_their_range_are_refused_naming_the_field(string body, string field)
    {
        var response = await _sluice.Admin.PostAsync("/api/v1/destinations", new StringContent(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problems = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["problems"]!.AsArray();
        Assert.Contains(problems, p => (string?)p!["field"] == field);
    }

    [Fact]
    public async Task A_body_over_a_megabyte_is_413()
    {
        var response = await _sluice.Admin.PostAsync("/api/v1/sources", new StringContent("{\"name\":\"" + new string('x', 1_100_000) + "\"}"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
