using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Sluice.Client;
using Sluice.Infrastructure;

namespace Sluice.Client;

/// <summary>The client against a server that fails: what it retries, what it reports, and that it stays bounded.</summary>
public sealed class SluiceClientFailureTests : IAsyncLifetime
{
    private RecordingServer _server = null!;

    public async Task InitializeAsync() => _server = await RecordingServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private SluiceClient Client(Func<SluiceClientOptions, SluiceClientOptions>? configure = null, ConcurrentQueue<SluiceClientFailure>? failures = null)
    {
        var options = new SluiceClientOptions { WriteKey = "wk", Host = new Uri(_server.BaseUrl), FlushAt = 10, RetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(50) };
        var client = new SluiceClient(configure?.Invoke(options) ?? options);
        if (failures is not null)
        {
            client.Failed += failures.Enqueue;
        }

        return client;
    }

    private IEnumerable<string> ReceivedMessageIds() =>
        _server.Received.Where(r => r.Succeeded).SelectMany(r => JsonNode.Parse(r.Body)!["batch"]!.AsArray().Select(m => (string)m!["messageId"]!));

    [Fact]
    public async Task Server_errors_dropped_connections_and_timeouts_are_retried_until_delivered_once()
    {
        _server.AnswerNext(new ScriptedAnswer(500, "down"), new ScriptedAnswer(0, Drop: true), new ScriptedAnswer(503), new ScriptedAnswer(200, Hang: true), new ScriptedAnswer(408));
        var failures = new ConcurrentQueue<SluiceClientFailure>();
        // Long enough that no answered request times out on a loaded machine (a 300 ms timeout once made a
        // seventh request in CI); the hanging one still waits only this long.
        await using var client = Client(o => o with { RequestTimeout = TimeSpan.FromSeconds(2) }, failures);

        var id = client.Track("u", "E");
        await client.FlushAsync();

        Assert.Equal(6, _server.Received.Count);
        Assert.All(_server.Received, r => Assert.Equal("Basic " + Convert.ToBase64String("wk:"u8.ToArray()), r.Headers["Authorization"]));
        Assert.Single(_server.Received, r => r.Succeeded);
        Assert.Equal([id], ReceivedMessageIds().Distinct());
        Assert.Empty(failures);
    }

    [Fact]
    public async Task A_429_is_retried_no_sooner_than_Retry_After()
    {
        _server.AnswerNext(new ScriptedAnswer(429, "slow down", RetryAfter: "1"));
        await using var client = Client();

        client.Track("u", "E");
        await client.FlushAsync();

        var (first, second) = (_server.Received[0], _server.Received[1]);
        Assert.True(second.At - first.At >= TimeSpan.FromSeconds(0.95), $"retried after {(second.At - first.At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_400_is_not_retried_and_reported_with_the_servers_answer()
    {
        _server.AnswerNext(new ScriptedAnswer(400, """{"success":false,"error":{"message":"bad"}}"""));
        var failures = new ConcurrentQueue<SluiceClientFailure>();
        await using var client = Client(failures: failures);

        var id = client.Track("u", "E");
        await client.FlushAsync();

        Assert.Single(_server.Received);
        var failure = Assert.Single(failures);
        Assert.Equal([id], failure.MessageIds);
        Assert.Equal((400, """{"success":false,"error":{"message":"bad"}}"""), (failure.Status, failure.Response));
        Assert.StartsWith("HTTP 400 Bad Request", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_queue_drops_new_calls_counts_them_and_says_so()
    {
        // The server hangs, so the first batch stays in flight and the queue fills.
        _server.AnswerNext(Enumerable.Range(0, 20).Select(_ => new ScriptedAnswer(200, Hang: true)).ToArray());
        var failures = new ConcurrentQueue<SluiceClientFailure>();
        var client = Client(o => o with { MaxQueueSize = 50, FlushAt = 10, RequestTimeout = TimeSpan.FromSeconds(30), DisposeTimeout = TimeSpan.FromMilliseconds(200) }, failures);

        for (var i = 0; i < 1_000; i++)
        {
            client.Track("u", "E", new Dictionary<string, object?> { ["i"] = i });
        }

        Assert.InRange(client.DroppedMessages, 1_000 - 60, 1_000 - 50);
        Assert.InRange(client.QueuedMessages, 50, 60);
        Assert.Equal(client.DroppedMessages, failures.Count(f => f.Reason.StartsWith("dropped: the queue", StringComparison.Ordinal)));
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Many_threads_tracking_while_others_flush_send_every_message_exactly_once()
    {
        await using var client = Client(o => o with { FlushAt = 20, Gzip = true });
        var sent = new ConcurrentBag<string>();

        var writers = Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                sent.Add(client.Track($"user-{t}", "E", new Dictionary<string, object?> { ["i"] = i }));
            }
        }));
        var flushers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await client.FlushAsync();
            }
        }));
        await Task.WhenAll([.. writers, .. flushers]);
        await client.FlushAsync();

        var received = ReceivedMessageIds().ToList();
        Assert.Equal(4_000, received.Count);
        Assert.Equal(sent.Order(), received.Order());
        Assert.All(_server.Received, r => Assert.Equal("gzip", r.Headers["Content-Encoding"]));
    }

    [Fact]
    public async Task Flushing_waits_for_the_batch_not_for_the_interval()
    {
        await using var client = Client(o => o with { FlushAt = 1_000, FlushInterval = TimeSpan.FromHours(1) });
        client.Track("u", "E");

        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Single(_server.Received);
    }
}
