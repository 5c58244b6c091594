using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Cli;

/// <summary><c>sluice identify|track|page|screen|group|alias</c> and <c>sluice api</c> against a running <c>sluice serve</c>, as a shell runs them.</summary>
public sealed class ClientVerbsTests : IAsyncLifetime
{
    private const string WriteKey = "wk_cli";
    private SluiceProcess _server = null!;
    private Dictionary<string, string> _environment = null!;

    public async Task InitializeAsync()
    {
        var workspace = await TestWorkspace.CreateAsync($"sources:\n  - {{id: web, writeKey: {WriteKey}}}\n");
        _server = await workspace.StartAsync();
        _environment = new() { ["SLUICE_HOST"] = _server.BaseUrl, ["SLUICE_WRITE_KEY"] = WriteKey };
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Each_call_verb_prints_the_messageId_of_the_call_that_arrived()
    {
        var runs = new (string Type, string[] Arguments)[]
        {
            ("identify", ["identify", "--user-id", "u1", "--traits", """{"plan":"pro"}"""]),
            ("track", ["track", "--user-id", "u1", "--event", "Order Completed", "--properties", """{"total":9.5}"""]),
            ("page", ["page", "--anonymous-id", "a1", "--name", "Pricing", "--category", "Docs"]),
            ("screen", ["screen", "--user-id", "u1", "--name", "Home"]),
            ("group", ["group", "--user-id", "u1", "--group-id", "g1", "--traits", """{"name":"Acme"}"""]),
            ("alias", ["alias", "--user-id", "u1", "--previous-id", "a1"]),
        };

        var printed = new Dictionary<string, string>();
        foreach (var (type, arguments) in runs)
        {
            var result = await SluiceCli.RunAsync(arguments, _environment);
            Assert.True(result.ExitCode == 0, $"{type}: exit {result.ExitCode}, {result.Errors}");
            printed[type] = result.Output;
        }

        var stored = (await _server.EventsAsync("web")).Select(e => e!.AsObject()).ToDictionary(e => (string)e["messageId"]!);
        Assert.All(printed, p => Assert.Equal(p.Key, (string?)stored[p.Value]["type"]));
        Assert.Equal("pro", (string?)stored[printed["identify"]]["traits"]!["plan"]);
        Assert.Equal(("Order Completed", 9.5), ((string?)stored[printed["track"]]["event"], (double?)stored[printed["track"]]["properties"]!["total"]));
        Assert.Equal(("a1", "Pricing", "Docs"), ((string?)stored[printed["page"]]["anonymousId"], (string?)stored[printed["page"]]["name"], (string?)stored[printed["page"]]["category"]));
        Assert.Equal("g1", (string?)stored[printed["group"]]["groupId"]);
        Assert.Equal("a1", (string?)stored[printed["alias"]]["previousId"]);
        Assert.Equal("Sluice.Client", (string?)stored[printed["track"]]["context"]!["library"]!["name"]);
    }

    [Fact]
    public async Task A_refused_call_exits_non_zero_with_the_servers_error()
    {
        var refused = await SluiceCli.RunAsync(["track", "--user-id", "u", "--event", "E", "--write-key", "not-a-key", "--host", _server.BaseUrl]);
        var noKey = await SluiceCli.RunAsync(["track", "--user-id", "u", "--event", "E", "--host", _server.BaseUrl]);
        var badJson = await SluiceCli.RunAsync(["identify", "--user-id", "u", "--traits", "{plan: pro}"], _environment);
        var noId = await SluiceCli.RunAsync(["track", "--event", "E"], _environment);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("HTTP 401", refused.Errors, StringComparison.Ordinal);
        Assert.Contains("invalid_write_key", refused.Errors, StringComparison.Ordinal);
        Assert.Equal((2, "sluice: a write key is needed: --write-key or SLUICE_WRITE_KEY."), (noKey.ExitCode, noKey.Errors));
        Assert.Equal(2, badJson.ExitCode);
        Assert.StartsWith("sluice: --traits is not valid JSON", badJson.Errors, StringComparison.Ordinal);
        Assert.Equal((2, "sluice: track needs --user-id or --anonymous-id."), (noId.ExitCode, noId.Errors));
    }

    [Fact]
    public async Task Api_sends_any_request_with_the_write_key_and_prints_status_and_body()
    {
        var bodyFile = Path.Combine(TestPaths.NewTemporaryDirectory(), "call.json");
        await File.WriteAllTextAsync(bodyFile, """{"userId":"u2","event":"From A File","messageId":"api-file-1"}""");

        var accepted = await SluiceCli.RunAsync(["api", "POST", "/v1/track", "--body", """{"userId":"u2","event":"E","messageId":"api-1"}""", "--header", "X-Request-Id: r-1"], _environment);
        var fromFile = await SluiceCli.RunAsync(["api", "post", "v1/track", "--body", "@" + bodyFile], _environment);
        var refused = await SluiceCli.RunAsync(["api", "POST", "/v1/track", "--body", """{"userId":"u2"}"""], _environment);

        Assert.Equal((0, "HTTP 200 OK\n{\"success\":true}"), (accepted.ExitCode, accepted.Output));
        Assert.Equal(0, fromFile.ExitCode);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("HTTP 400 Bad Request\n", refused.Output, StringComparison.Ordinal);
        Assert.Equal("event", (string?)JsonNode.Parse(refused.Output.Split('\n', 2)[1])!["error"]!["field"]);
        var stored = (await _server.EventsAsync("web")).Select(e => (string?)e!["messageId"]).ToList();
        Assert.Contains("api-1", stored);
        Assert.Contains("api-file-1", stored);
    }
}
