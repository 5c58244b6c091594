using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Delivery;

/// <summary>
/// A destination with <c>ordered: true</c> gets each user's events one after another in log order: a
/// retried delivery holds the user's later ones, up to a bound, while other users go on.
/// </summary>
public sealed class OrderedDeliveryTests : IAsyncLifetime
{
    private RecordingServer _receiver = null!;
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync()
    {
        _receiver = await RecordingServer.StartAsync();
        _sluice = await InProcessServer.StartAsync(
            o => o with { Delivery = new DeliveryOptions { OrderedMaxWaiting = 3, Random = () => 0 } },
            workspaceYaml: $$"""
                sources:
                  - {id: web, writeKey: {{InProcessServer.WriteKey}}}
                destinations:
                  - id: ordered
                    type: webhook
                    sources: [web]
                    ordered: true
                    mappings:
                      - name: All
                        action: send
                        trigger: 'type = "track"'
                        mapping:
                          url: {{_receiver.BaseUrl}}/in
                          method: POST
                          data: {'@path': '$.'}
                """);
    }

    public async Task DisposeAsync()
    {
        await _sluice.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task A_retried_delivery_holds_the_users_later_ones_until_it_is_delivered()
    {
        _receiver.AnswerNext(new ScriptedAnswer(503), new ScriptedAnswer(503));
        await PostBatchAsync("ada", 2);

        await DeliveryLog.WaitForAsync(_sluice.Admin, "ordered", "ada-1", DeliveryLog.Status("delivered"));
        await DeliveryLog.WaitForAsync(_sluice.Admin, "ordered", "ada-2", DeliveryLog.Status("delivered"));

        Assert.Equal(["ada-1", "ada-1", "ada-1", "ada-2"], _receiver.Received.Select(MessageIdOf));
    }

    [Fact]
    public async Task Once_too_many_wait_behind_a_retried_delivery_it_fails_saying_why_and_the_rest_go_on_in_order()
    {
        _receiver.AnswerNext(new ScriptedAnswer(503));
        await PostBatchAsync("bob", 5);

        var failed = await DeliveryLog.WaitForAsync(_sluice.Admin, "ordered", "bob-1", DeliveryLog.Status("failed"));
        await DeliveryLog.WaitForAsync(_sluice.Admin, "ordered", "bob-5", DeliveryLog.Status("delivered"));

        Assert.Contains("4 later deliveries of this user waited behind it", (string?)failed["reason"], StringComparison.Ordinal);
        Assert.Equal(["bob-1", "bob-2", "bob-3", "bob-4", "bob-5"], _receiver.Received.Select(MessageIdOf));
    }

    private async Task PostBatchAsync(string user, int count)
    {
        var batch = string.Join(',', Enumerable.Range(1, count).Select(i => $$"""{"type":"track","userId":"{{user}}","event":"E","messageId":"{{user}}-{{i}}"}"""));
        (await _sluice.PostAsync("/v1/batch", $$"""{"batch":[{{batch}}]}""")).EnsureSuccessStatusCode();
    }

    private static string MessageIdOf(RecordedRequest request) => (string)JsonNode.Parse(request.Body)!["messageId"]!;
}
