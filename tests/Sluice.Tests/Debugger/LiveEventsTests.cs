using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Debugger;

/// <summary>The live debugger: a source's messages stream to watchers as server-sent events as they are stored.</summary>
public sealed class LiveEventsTests : IAsyncLifetime
{
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync() => _sluice = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _sluice.DisposeAsync();

    [Fact]
    public async Task Messages_of_the_watched_source_arrive_as_server_sent_events_and_others_do_not()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sources/web/live");
        using var response = await _sluice.Admin.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith(": watching source web", await reader.ReadLineAsync());

        await _sluice.PostAsync("/v1/track", """{"userId":"u","event":"Elsewhere","messageId":"other-1"}""", "wk_test_app");
        await _sluice.PostAsync("/v1/batch", """{"batch":[{"type":"track","userId":"u","event":"First","messageId":"live-1"},{"type":"identify","userId":"u","messageId":"live-2"}]}""");

        var received = new List<JsonNode>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received.Count < 2 && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                received.Add(JsonNode.Parse(line["data: ".Length..])!);
            }
        }

        Assert.Equal(["live-1", "live-2"], received.Select(m => (string?)m["messageId"]));
        Assert.NotNull(received[0]["receivedAt"]);
    }

    [Fact]
    public async Task A_message_with_blank_lines_and_line_separators_arrives_as_one_event_and_the_stream_goes_on()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sources/web/live");
        using var response = await _sluice.Admin.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await reader.ReadLineAsync();

        await _sluice.PostAsync("/v1/track", "{\"userId\":\"u\",\"event\":\"NL\",\"messageId\":\"hostile-1\",\"properties\":{\n\n\"a\":\r\n\r\n 1,\t\"s\":\"x\u2028y\\r\\n\\n z\"}}");
        await _sluice.PostAsync("/v1/track", """{"userId":"u","event":"After","messageId":"hostile-2"}""");

        // Server-sent events: a block of lines ends at a blank line; each data line of it is one message.
        var received = new List<JsonNode>();
        var block = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received.Count < 2 && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length > 0)
            {
                block.Add(line);
                continue;
            }

            if (block is [var only] && only.StartsWith("data: ", StringComparison.Ordinal))
            {
                received.Add(JsonNode.Parse(only["data: ".Length..])!);
            }

            Assert.True(block.Count <= 1, $"one event came in {block.Count} lines: {string.Join(" | ", block)}");
            block.Clear();
        }

        Assert.Equal(["hostile-1", "hostile-2"], received.Select(m => (string?)m["messageId"]));
        Assert.Equal("x\u2028y\r\n\n z", (string?)received[0]["properties"]!["s"]);
        Assert.Equal(1, (int?)received[0]["properties"]!["a"]);
    }

    [Fact]
    public async Task The_delivery_timeline_counts_deliveries_by_status_per_hour()
    {
        await using var receiver = await RecordingServer.StartAsync();
        await using var sluice = await InProcessServer.StartAsync(workspaceYaml: $$"""
            sources:
              - {id: web, writeKey: {{InProcessServer.WriteKey}} }
            destinations:
              - id: hook
                type: webhook
                sources: [web]
                mappings:
                  - {name: Tracks, action: send, trigger: 'type = "track"', mapping: {url: '{{receiver.BaseUrl}}/in', method: POST} }
            """);
        await sluice.PostAsync("/v1/batch", """{"batch":[{"type":"track","userId":"u","event":"A","messageId":"t-1"},{"type":"page","userId":"u","messageId":"p-1"}]}""");
        await DeliveryLog.WaitForAsync(sluice.Admin, "hook", "t-1", DeliveryLog.Status("delivered"));

        var timeline = JsonNode.Parse(await sluice.Admin.GetStringAsync("/api/v1/destinations/hook/stats/timeline?hours=3"))!;
        var buckets = timeline["buckets"]!.AsArray();

        Assert.Equal(60, (int?)timeline["bucketMinutes"]);
        Assert.Equal(3, buckets.Count);
        Assert.Equal((1, 1), ((int)buckets[^1]!["delivered"]!, (int)buckets[^1]!["filtered"]!));
        Assert.Equal(2, buckets.Sum(b => (int)b!["delivered"]! + (int)b["filtered"]!));
    }
}
