using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Tracking;

/// <summary>
/// Text a JSON parser lets through but that cannot be kept faithfully (lone surrogates, bytes that
/// are not UTF-8, a name twice) is refused per message with the place and the rule; a batch keeps
/// its good items, and nothing answers 5xx (which every Segment library retries, forever on mobile).
/// </summary>
public sealed class OddJsonTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>The message's JSON (as bytes: some are not UTF-8), the field the refusal names, and the rule.</summary>
    public static TheoryData<string, string, string> OddMessages() => new()
    {
        { """{"type":"track","userId":"u","event":"B","properties":{"\ud800":1}}""", "properties.\\ud800", "utf16" },
        { """{"type":"track","userId":"u","event":"B","context":{"traits":{"\udc00x":1}}}""", "context.traits.\\udc00x", "utf16" },
        { """{"type":"track","userId":"u","event":"B","\ud800":1}""", "\\ud800", "utf16" },
        { """{"type":"track","userId":"u","event":"B","properties":{"x":"\ud800"}}""", "properties.x", "utf16" },
        { """{"type":"track","userId":"u","event":"B","properties":{"list":[1,{"y":"a\udfffb"}]}}""", "properties.list[1].y", "utf16" },
        { "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"B\",\"properties\":{\"x\":\"\xc3\x28\"}}", "properties.x", "utf8" },
        { "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"B\",\"properties\":{\"x\":\"\xc0\xaf\"}}", "properties.x", "utf8" },
        { "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"B\",\"\xff\":1}", "\uFFFD", "utf8" },
        { "{\"type\":\"track\",\"userId\":\"\xff\",\"event\":\"B\"}", "userId", "utf8" },
        { """{"type":"track","userId":"u","event":"B","properties":{"a":1,"a":2}}""", "properties.a", "duplicate_key" },
        { """{"type":"track","userId":"u","event":"B","properties":{"a":1,"\u0061":2}}""", "properties.a", "duplicate_key" },
        { """{"type":"track","userId":"u","event":"B","event":"C"}""", "event", "duplicate_key" },
    };

    [Theory]
    [MemberData(nameof(OddMessages))]
    public async Task An_odd_message_in_a_batch_is_refused_by_field_and_rule_and_its_neighbours_are_stored(string message, string field, string rule)
    {
        var id = Guid.NewGuid().ToString("N");
        var body = $$"""{"batch":[{"type":"track","userId":"u","event":"A","messageId":"{{id}}-1"},{{message}},{"type":"track","userId":"u","event":"C","messageId":"{{id}}-2"}]}""";

        var response = await PostBytesAsync("/v1/batch", Latin1(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var refused = Assert.Single(answer["rejected"]!.AsArray())!;
        Assert.Equal(1, (int)refused["index"]!);
        Assert.Equal(field, (string?)refused["field"]);
        Assert.Equal(rule, (string?)refused["rule"]);
        var stored = (await _server.EventsAsync()).Select(e => (string?)e!["messageId"]).ToList();
        Assert.Contains($"{id}-1", stored);
        Assert.Contains($"{id}-2", stored);
    }

    [Theory]
    [MemberData(nameof(OddMessages))]
    public async Task An_odd_single_message_is_400_naming_the_field_and_the_rule(string message, string field, string rule)
    {
        var response = await PostBytesAsync("/v1/track", Latin1(message));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(field, (string?)error["field"]);
        Assert.Equal(rule, (string?)error["rule"]);
    }

    [Fact]
    public async Task The_events_endpoint_answers_valid_UTF8_after_odd_bytes_were_sent()
    {
        await PostBytesAsync("/v1/track", Latin1("{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"x\":\"\xc3\x28\"}}"));
        await _server.PostAsync("/v1/track", """{"userId":"u","event":"Fine","properties":{"emoji":"\ud83d\ude00","sep":"a\u2028b"}}""");

        var bytes = await _server.Admin.GetByteArrayAsync("/api/v1/sources/web/events");

        Assert.True(System.Text.Unicode.Utf8.IsValid(bytes));
        var fine = JsonNode.Parse(bytes)!["events"]!.AsArray().Single(e => (string?)e!["event"] == "Fine")!;
        Assert.Equal("\U0001F600", (string?)fine["properties"]!["emoji"]);
    }

    /// <summary>Each char of the text as one byte, so that a test can write bytes that are not UTF-8 (\xff) next to ASCII JSON.</summary>
    private static byte[] Latin1(string text) => text.Any(c => c > 0xff) ? Encoding.UTF8.GetBytes(text) : Encoding.Latin1.GetBytes(text);

    private Task<HttpResponseMessage> PostBytesAsync(string path, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(InProcessServer.WriteKey + ":")));
        return _server.Http.SendAsync(request);
    }
}
