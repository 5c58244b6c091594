using Microsoft.Extensions.Time.Testing;
using Sluice.Infrastructure;

namespace Sluice.Ingest;

public sealed class DeduplicationWindowTests
{
    [Fact]
    public async Task A_messageId_is_a_duplicate_within_24_hours_and_new_again_after()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T00:00:00Z"));
        await using var server = await InProcessServer.StartAsync(time: time);

        await server.PostAsync("/v1/track", """{"userId":"u","event":"E","messageId":"m-1"}""");
        time.Advance(TimeSpan.FromHours(23));
        await server.PostAsync("/v1/track", """{"userId":"u","event":"E","messageId":"m-1"}""");
        Assert.Single(await server.EventsAsync());

        time.Advance(TimeSpan.FromHours(2));
        await server.PostAsync("/v1/track", """{"userId":"u","event":"E","messageId":"m-1"}""");
        Assert.Equal(2, (await server.EventsAsync()).Count);
    }

    [Fact]
    public async Task Messages_without_a_client_messageId_are_never_deduplicated()
    {
        await using var server = await InProcessServer.StartAsync();

        await server.PostAsync("/v1/track", """{"userId":"u","event":"E"}""");
        await server.PostAsync("/v1/track", """{"userId":"u","event":"E"}""");

        Assert.Equal(2, (await server.EventsAsync()).Count);
    }
}
