using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Client;
using Sluice.Infrastructure;

namespace Sluice.Client;

/// <summary>The .NET client against a running Sluice: every call type arrives with the fields it was given.</summary>
public sealed class SluiceClientTests : IAsyncLifetime
{
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync() => _sluice = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _sluice.DisposeAsync();

    [Fact]
    public async Task Every_call_type_arrives_with_the_fields_given()
    {
        var when = DateTimeOffset.Parse("2026-01-02T03:04:05.678Z");
        var context = new Dictionary<string, object?> { ["locale"] = "de-DE", ["page"] = new Dictionary<string, object?> { ["path"] = "/pricing" } };
        var integrations = new Dictionary<string, object?> { ["All"] = false, ["Stories"] = true };
        await using var client = new SluiceClient(new SluiceClientOptions { WriteKey = InProcessServer.WriteKey, Host = new Uri(_sluice.BaseUrl), FlushAt = 100 });

        var ids = new Dictionary<string, string>
        {
            ["identify"] = client.Identify("u1", new Dictionary<string, object?> { ["plan"] = "pro", ["seats"] = 3 }, new MessageOptions { AnonymousId = "a1", Context = context }),
            ["track"] = client.Track("u1", "Order Completed", new Dictionary<string, object?> { ["total"] = 12.5, ["items"] = new[] { "a", "b" } }, new MessageOptions { Timestamp = when, Integrations = integrations }),
            ["page"] = client.Page("u1", "Pricing", new Dictionary<string, object?> { ["path"] = "/pricing" }, category: "Docs"),
            ["screen"] = client.Screen(null, "Home", new Dictionary<string, object?> { ["theme"] = "dark" }, new MessageOptions { AnonymousId = "a2" }),
            ["group"] = client.Group("u1", "g1", new Dictionary<string, object?> { ["name"] = "Acme" }),
            ["alias"] = client.Alias("u1", "a1", new MessageOptions { MessageId = "my-own-id" }),
        };
        await client.FlushAsync();

        var stored = (await _sluice.EventsAsync()).Select(e => e!.AsObject()).ToDictionary(e => (string)e["messageId"]!);
        Assert.Equal(6, stored.Count);
        Assert.Equal("my-own-id", ids["alias"]);
        var identify = stored[ids["identify"]];
        Assert.Equal(("identify", "u1", "a1", "pro", 3), ((string?)identify["type"], (string?)identify["userId"], (string?)identify["anonymousId"], (string?)identify["traits"]!["plan"], (int?)identify["traits"]!["seats"]));
        Assert.Equal(("de-DE", "/pricing", "Sluice.Client"), ((string?)identify["context"]!["locale"], (string?)identify["context"]!["page"]!["path"], (string?)identify["context"]!["library"]!["name"]));
        var track = stored[ids["track"]];
        Assert.Equal(("Order Completed", 12.5, "b"), ((string?)track["event"], (double?)track["properties"]!["total"], (string?)track["properties"]!["items"]![1]));
        Assert.Equal("2026-01-02T03:04:05.678Z", (string?)track["originalTimestamp"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"All":false,"Stories":true}"""), track["integrations"]));
        Assert.Equal(("Pricing", "Docs", "/pricing"), ((string?)stored[ids["page"]]["name"], (string?)stored[ids["page"]]["category"], (string?)stored[ids["page"]]["properties"]!["path"]));
        Assert.Equal(("Home", "a2", null), ((string?)stored[ids["screen"]]["name"], (string?)stored[ids["screen"]]["anonymousId"], (string?)stored[ids["screen"]]["userId"]));
        Assert.Equal(("g1", "Acme"), ((string?)stored[ids["group"]]["groupId"], (string?)stored[ids["group"]]["traits"]!["name"]));
        Assert.Equal(("u1", "a1"), ((string?)stored[ids["alias"]]["userId"], (string?)stored[ids["alias"]]["previousId"]));
        Assert.All(stored.Values, e => Assert.NotNull(e["sentAt"]));
    }

    [Fact]
    public async Task A_call_without_an_id_or_too_large_is_refused_at_once()
    {
        await using var client = new SluiceClient(new SluiceClientOptions { WriteKey = InProcessServer.WriteKey, Host = new Uri(_sluice.BaseUrl) });

        Assert.Throws<ArgumentException>(() => client.Track(null, "E"));
        var tooLarge = Assert.Throws<MessageTooLargeException>(() => client.Track("u", "E", new Dictionary<string, object?> { ["blob"] = new string('x', 40_000) }));
        Assert.Equal(32 * 1024, tooLarge.Limit);
        Assert.Equal(0, client.QueuedMessages);
    }

    [Fact]
    public async Task Disposing_sends_what_is_queued()
    {
        string id;
        await using (var client = new SluiceClient(new SluiceClientOptions { WriteKey = InProcessServer.WriteKey, Host = new Uri(_sluice.BaseUrl), FlushAt = 1000, FlushInterval = TimeSpan.FromHours(1) }))
        {
            id = client.Track("u", "Last Words");
        }

        Assert.Contains(await _sluice.EventsAsync(), e => (string?)e!["messageId"] == id);
    }

    [Fact]
    public async Task AddSluiceClient_registers_one_client_that_the_container_flushes_when_it_is_disposed()
    {
        var services = new ServiceCollection().AddLogging().AddSluiceClient(new SluiceClientOptions
        {
            WriteKey = InProcessServer.WriteKey,
            Host = new Uri(_sluice.BaseUrl),
            FlushAt = 1000,
            FlushInterval = TimeSpan.FromHours(1),
        });
        string id;
        await using (var provider = services.BuildServiceProvider())
        {
            var client = provider.GetRequiredService<SluiceClient>();
            Assert.Same(client, provider.GetRequiredService<SluiceClient>());
            id = client.Track("u", "From The Container");
        }

        Assert.Contains(await _sluice.EventsAsync(), e => (string?)e!["messageId"] == id);
    }
}
