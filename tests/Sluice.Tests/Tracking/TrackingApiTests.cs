using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Tracking;

public sealed class TrackingApiTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("/v1/identify", "identify", """{"userId":"u1","traits":{"email":"a@example.com"}}""")]
    [InlineData("/v1/i", "identify", """{"userId":"u1"}""")]
    [InlineData("/v1/track", "track", """{"userId":"u1","event":"Signed Up"}""")]
    [InlineData("/v1/t", "track", """{"anonymousId":"a1","event":"Signed Up"}""")]
    [InlineData("/v1/page", "page", """{"userId":"u1","name":"Home"}""")]
    [InlineData("/v1/p", "page", """{"userId":"u1"}""")]
    [InlineData("/v1/screen", "screen", """{"userId":"u1","name":"Settings"}""")]
    [InlineData("/v1/s", "screen", """{"userId":"u1"}""")]
    [InlineData("/v1/group", "group", """{"userId":"u1","groupId":"g1"}""")]
    [InlineData("/v1/g", "group", """{"userId":"u1","groupId":"g1"}""")]
    [InlineData("/v1/alias", "alias", """{"userId":"u1","previousId":"a1"}""")]
    [InlineData("/v1/a", "alias", """{"userId":"u1","previousId":"a1"}""")]
    public async Task Each_call_path_stores_a_message_of_its_type_and_answers_Segments_success_body(string path, string type, string json)
    {
        var response = await _server.PostAsync(path, json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"success":true}""", await response.Content.ReadAsStringAsync());
        var stored = Assert.Single(await _server.EventsAsync());
        Assert.Equal(type, (string?)stored!["type"]);
    }

    [Theory]
    [InlineData("/v1/batch")]
    [InlineData("/v1/import")]
    [InlineData("/v1/b")]
    public async Task Batch_paths_store_every_item(string path)
    {
        var response = await _server.PostAsync(path, """{"batch":[{"type":"identify","userId":"u"},{"type":"track","userId":"u","event":"E"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await _server.EventsAsync();
        Assert.Equal(["track", "identify"], events.Select(e => (string?)e!["type"]));
    }

    [Fact]
    public async Task The_write_key_may_travel_in_the_body_and_is_not_stored()
    {
        var response = await _server.PostAsync("/v1/track", $$"""{"writeKey":"{{InProcessServer.WriteKey}}","userId":"u","event":"E"}""", writeKey: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = Assert.Single(await _server.EventsAsync());
        Assert.False(stored!.AsObject().ContainsKey("writeKey"));
    }

    [Fact]
    public async Task The_Authorization_header_wins_over_the_body_write_key()
    {
        var response = await _server.PostAsync("/v1/track", """{"writeKey":"wk_test_app","userId":"u","event":"E"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await _server.EventsAsync("web"));
        Assert.Empty(await _server.EventsAsync("app"));
    }

    [Theory]
    [InlineData("wk_nobody")]
    [InlineData(null)]
    public async Task An_unknown_or_missing_write_key_is_401_naming_the_write_key(string? writeKey)
    {
        var response = await _server.PostAsync("/v1/track", """{"userId":"u","event":"E"}""", writeKey);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("writeKey", (string?)error["field"]);
        Assert.Empty(await _server.EventsAsync());
    }

    [Fact]
    public async Task A_Basic_header_without_a_colon_is_the_write_key_itself()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = new StringContent("""{"userId":"u","event":"E"}""") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(InProcessServer.WriteKey)));

        Assert.Equal(HttpStatusCode.OK, (await _server.Http.SendAsync(request)).StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task Bodies_are_JSON_whatever_their_content_type_says(string? contentType)
    {
        var content = new ByteArrayContent("""{"userId":"u","event":"E"}"""u8.ToArray());
        if (contentType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        var response = await SendAsync("/v1/track", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task Compressed_bodies_are_inflated(string encoding)
    {
        var response = await SendAsync("/v1/batch", Compressed("""{"batch":[{"type":"track","userId":"u","event":"Zipped"}]}""", encoding));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Zipped", (string?)Assert.Single(await _server.EventsAsync())!["event"]);
    }

    [Fact]
    public async Task A_gzip_bomb_is_refused_at_the_size_limit()
    {
        // 50 MB of spaces inside a JSON string compresses to ~50 KB.
        var bomb = "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"" + new string(' ', 50_000_000) + "\"}]}";
        var response = await SendAsync("/v1/batch", Compressed(bomb, "gzip"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("512000", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_gzip_body_is_400()
    {
        var whole = Compressed("""{"batch":[{"type":"track","userId":"u","event":"E"}]}""", "gzip");
        var bytes = await whole.ReadAsByteArrayAsync();
        var truncated = new ByteArrayContent(bytes[..(bytes.Length / 2)]);
        truncated.Headers.ContentEncoding.Add("gzip");

        var response = await SendAsync("/v1/batch", truncated);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await _server.EventsAsync());
    }

    [Fact]
    public async Task An_unknown_content_encoding_is_415()
    {
        var content = new StringContent("""{"userId":"u","event":"E"}""");
        content.Headers.ContentEncoding.Add("br");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await SendAsync("/v1/track", content)).StatusCode);
    }

    [Fact]
    public async Task A_single_message_over_32_KB_is_400_naming_the_limit()
    {
        var response = await _server.PostAsync("/v1/track", $$$"""{"userId":"u","event":"E","properties":{"x":"{{{new string('x', 33_000)}}}"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("max_size", (string?)error["rule"]);
        Assert.Contains("32768", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_over_500_KB_is_400_naming_the_limit()
    {
        var item = $$$"""{"type":"track","userId":"u","event":"E","properties":{"x":"{{{new string('x', 20_000)}}}"}}""";
        var response = await _server.PostAsync("/v1/batch", "{\"batch\":[" + string.Join(',', Enumerable.Repeat(item, 30)) + "]}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("512000", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_with_invalid_items_stores_the_valid_ones_and_lists_each_rejected_index()
    {
        var oversized = $$$"""{"type":"track","userId":"u","event":"Big","messageId":"m-big","properties":{"x":"{{{new string('x', 40_000)}}}"}}""";
        var response = await _server.PostAsync("/v1/batch", $$"""
            {"batch":[
              {"type":"track","userId":"u","event":"Good 1"},
              {"type":"track","userId":"u","messageId":"m-no-event"},
              {{oversized}},
              {"type":"identify","anonymousId":"a"}
            ]}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True((bool)body["success"]!);
        var rejected = body["rejected"]!.AsArray();
        Assert.Equal([1, 2], rejected.Select(r => (int)r!["index"]!));
        Assert.Equal("m-no-event", (string?)rejected[0]!["messageId"]);
        Assert.Equal("event", (string?)rejected[0]!["field"]);
        Assert.Equal("max_size", (string?)rejected[1]!["rule"]);
        Assert.Equal(2, (await _server.EventsAsync()).Count);
    }

    [Fact]
    public async Task A_batch_whose_every_item_is_invalid_is_400_with_the_list()
    {
        var response = await _server.PostAsync("/v1/batch", """{"batch":[{"type":"track","userId":"u"},{"type":"page"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(2, body["rejected"]!.AsArray().Count);
    }

    [Fact]
    public async Task An_empty_batch_is_200_and_stores_nothing()
    {
        Assert.Equal(HttpStatusCode.OK, (await _server.PostAsync("/v1/batch", """{"batch":[]}""")).StatusCode);
        Assert.Empty(await _server.EventsAsync());
    }

    [Fact]
    public async Task A_single_message_failing_validation_is_400_naming_field_and_rule()
    {
        var response = await _server.PostAsync("/v1/group", """{"userId":"u"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("groupId", (string?)error["field"]);
        Assert.Equal("required", (string?)error["rule"]);
    }

    [Fact]
    public async Task A_messageId_accepted_before_is_acknowledged_and_not_stored_again()
    {
        var first = await _server.PostAsync("/v1/track", """{"userId":"u","event":"E","messageId":"dup-1"}""");
        var again = await _server.PostAsync("/v1/batch", """{"batch":[{"type":"track","userId":"u","event":"E","messageId":"dup-1"},{"type":"track","userId":"u","event":"E","messageId":"dup-2"}]}""");
        var otherSource = await _server.PostAsync("/v1/track", """{"userId":"u","event":"E","messageId":"dup-1"}""", writeKey: "wk_test_app");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherSource.StatusCode);
        Assert.Equal(["dup-2", "dup-1"], (await _server.EventsAsync()).Select(e => (string?)e!["messageId"]));
        Assert.Single(await _server.EventsAsync("app"));
    }

    [Fact]
    public async Task Envelope_context_and_sentAt_apply_to_every_batch_item()
    {
        var response = await _server.PostAsync("/v1/batch", """
            {"sentAt":"2026-01-01T00:00:10.000Z","context":{"app":{"name":"shop"}},
             "batch":[{"type":"track","userId":"u","event":"E","timestamp":"2026-01-01T00:00:00.000Z"}]}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = Assert.Single(await _server.EventsAsync())!;
        Assert.Equal("shop", (string?)stored["context"]!["app"]!["name"]);
        Assert.Equal("2026-01-01T00:00:10.000Z", (string?)stored["sentAt"]);
        var corrected = DateTimeOffset.Parse((string)stored["timestamp"]!);
        var received = DateTimeOffset.Parse((string)stored["receivedAt"]!);
        Assert.Equal(TimeSpan.FromSeconds(10), received - corrected);
    }

    [Fact]
    public async Task Preflight_requests_are_answered_for_any_origin_with_the_requested_headers()
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/t");
        request.Headers.Add("Origin", "https://shop.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization, content-type, x-retry-count");

        var response = await _server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://shop.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("Origin", response.Headers.Vary);
        Assert.Contains("authorization", response.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.Ordinal);
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answers_carry_the_CORS_origin_header()
    {
        var response = await _server.PostAsync("/v1/track", """{"userId":"u","event":"E"}""");

        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Theory]
    [InlineData("""{"userId":"u","event":"E"}""", "wk_test_web")]
    [InlineData("""{"userId":"u"}""", "wk_test_web")]
    [InlineData("""{"userId":"u","event":"E"}""", "wk_nobody")]
    public async Task Every_answer_to_a_page_echoes_its_origin_refusals_included(string body, string writeKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/t") { Content = new StringContent(body) };
        request.Headers.Add("Origin", "http://127.0.0.1:5173");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));

        var response = await _server.Http.SendAsync(request);

        Assert.Equal("http://127.0.0.1:5173", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task The_settings_document_points_analytics_js_at_this_server_with_its_metrics_off()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/projects/{InProcessServer.WriteKey}/settings");
        request.Headers.Add("Origin", "http://127.0.0.1:5173");

        var response = await _server.Http.SendAsync(request);
        var settings = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("http://127.0.0.1:5173", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(TimeSpan.FromMinutes(5), response.Headers.CacheControl?.MaxAge);
        var segment = settings["integrations"]!["Segment.io"]!;
        Assert.Equal(InProcessServer.WriteKey, (string?)segment["apiKey"]);
        Assert.Equal(new Uri(_server.BaseUrl).Authority + "/v1", (string?)segment["apiHost"]);
        Assert.Equal("http", (string?)segment["protocol"]);
        Assert.Single(settings["integrations"]!.AsObject());
        Assert.Equal(0, (int?)settings["metrics"]!["sampleRate"]);
    }

    [Fact]
    public async Task The_settings_of_an_unknown_write_key_are_404_and_metrics_posts_are_accepted_and_not_stored()
    {
        var unknown = await _server.Http.GetAsync("/v1/projects/wk_nobody/settings");
        var metrics = await _server.Http.PostAsync("/v1/m", new StringContent("""{"series":[{"type":"Counter","metric":"analytics_js.invoke","value":1}]}"""));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Empty(await _server.EventsAsync());
    }

    [Fact]
    public async Task Other_methods_are_405_and_unknown_paths_404()
    {
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await _server.Http.GetAsync("/v1/track")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.PostAsync("/v1/purchase", "{}")).StatusCode);
    }

    [Fact]
    public async Task Context_ip_is_the_peer_and_X_Forwarded_For_is_ignored_from_untrusted_peers()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = new StringContent("""{"userId":"u","event":"E"}""") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(InProcessServer.WriteKey + ":")));
        request.Headers.Add("X-Forwarded-For", "198.51.100.9");

        await _server.Http.SendAsync(request);

        Assert.Equal("127.0.0.1", (string?)Assert.Single(await _server.EventsAsync())!["context"]!["ip"]);
    }

    private Task<HttpResponseMessage> SendAsync(string path, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(InProcessServer.WriteKey + ":")));
        return _server.Http.SendAsync(request);
    }

    private static ByteArrayContent Compressed(string json, string encoding)
    {
        var output = new MemoryStream();
        using (Stream compressor = encoding == "gzip" ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true) : new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            compressor.Write(Encoding.UTF8.GetBytes(json));
        }

        var content = new ByteArrayContent(output.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        content.Headers.ContentEncoding.Add(encoding);
        return content;
    }
}
