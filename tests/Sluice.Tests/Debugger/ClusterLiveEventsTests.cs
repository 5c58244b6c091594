using System.Text.Json.Nodes;
using Sluice.Hosting;
using Sluice.Infrastructure;

namespace Sluice.Debugger;

/// <summary>Two nodes on one PostgreSQL store: the live debugger of one shows what the other stored.</summary>
public sealed class ClusterLiveEventsTests : IAsyncLifetime
{
    private InProcessServer _a = null!;
    private InProcessServer _b = null!;

    public async Task InitializeAsync()
    {
        var database = PostgresServer.NewDatabase();
        _a = await InProcessServer.StartAsync(o => o with { Store = StoreKind.Postgres, PostgresConnection = database });
        _b = await InProcessServer.StartAsync(o => o with { Store = StoreKind.Postgres, PostgresConnection = database });
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
    }

    [Fact]
    public async Task Events_stored_by_one_node_stream_to_a_watcher_of_the_other()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sources/web/live");
        using var response = await _b.Admin.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith(": watching source web", await reader.ReadLineAsync());

        await _a.PostAsync("/v1/track", """{"userId":"ada","event":"On A","messageId":"from-a"}""");
        await _b.PostAsync("/v1/track", """{"userId":"bob","event":"On B","messageId":"from-b"}""");

        var received = new List<string?>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received.Count < 2 && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                received.Add((string?)JsonNode.Parse(line["data: ".Length..])!["messageId"]);
            }
        }

        Assert.Equal(["from-a", "from-b"], received.Order());
    }
}
