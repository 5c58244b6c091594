using System.Net;
using Sluice.Infrastructure;

namespace Sluice.Ingest;

public sealed class BackPressureTests
{
    [Fact]
    public async Task When_the_ingest_queue_is_full_the_answer_is_503_with_Retry_After_and_nothing_is_stored()
    {
        // A queue bound smaller than one message: every request finds the queue full.
        await using var server = await InProcessServer.StartAsync(o => o with { Ingest = o.Ingest with { MaxQueuedBytes = 16 } });

        var response = await server.PostAsync("/v1/track", """{"userId":"u","event":"E"}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        Assert.Empty(await server.EventsAsync());
    }
}
