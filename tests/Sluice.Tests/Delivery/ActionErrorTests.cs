using Sluice.Destinations;
using Sluice.Destinations.TestOnly;
using Sluice.Infrastructure;

namespace Sluice.Delivery;

/// <summary>An action's typed errors, and the answers a destination reclassifies, decide retry.</summary>
public sealed class ActionErrorTests : IAsyncLifetime
{
    private RecordingServer _ledger = null!;
    private InProcessServer _sluice = null!;

    public async Task InitializeAsync()
    {
        _ledger = await RecordingServer.StartAsync();
        _sluice = await InProcessServer.StartAsync(o => o with { Destinations = LedgerDestination.Catalog }, LedgerDestination.WorkspaceYaml(_ledger.BaseUrl));
    }

    public async Task DisposeAsync()
    {
        await _sluice.DisposeAsync();
        await _ledger.DisposeAsync();
    }

    [Fact]
    public async Task A_payload_the_action_calls_invalid_is_skipped_without_a_request()
    {
        await _sluice.PostAsync("/v1/track", """{"userId":"nobody","event":"Paid","messageId":"nobody-1"}""");

        var delivery = await DeliveryLog.WaitForAsync(_sluice.Admin, "books", "nobody-1", d => (string?)d["status"] != "pending");

        Assert.Equal("skipped", (string?)delivery["status"]);
        Assert.Equal("the ledger keeps no lines for nobody", (string?)delivery["reason"]);
        Assert.Empty(_ledger.Received);
    }

    [Fact]
    public async Task An_answer_the_destination_reads_as_slow_down_is_retried_though_its_status_is_400()
    {
        _ledger.AnswerNext(new ScriptedAnswer(400, """{"error":"slow down"}"""));

        await _sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Paid","messageId":"slow-down"}""");

        var delivery = await DeliveryLog.WaitForAsync(_sluice.Admin, "books", "slow-down", d => (string?)d["status"] != "pending");
        Assert.Equal("retrying", (string?)delivery["status"]);
    }

    [Fact]
    public async Task Refused_credentials_fail_at_once_saying_so_and_a_plain_400_fails_too()
    {
        _ledger.AnswerNext(new ScriptedAnswer(401, """{"error":"bad key"}"""), new ScriptedAnswer(400, """{"error":"no such account"}"""));

        await _sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Paid","messageId":"refused"}""");
        var refused = await DeliveryLog.WaitForAsync(_sluice.Admin, "books", "refused", d => (string?)d["status"] != "pending");
        await _sluice.PostAsync("/v1/track", """{"userId":"ada","event":"Paid","messageId":"plain-400"}""");
        var plain = await DeliveryLog.WaitForAsync(_sluice.Admin, "books", "plain-400", d => (string?)d["status"] != "pending");

        Assert.Equal("failed", (string?)refused["status"]);
        Assert.Contains("the service refused the credentials; not retried", (string?)refused["reason"], StringComparison.Ordinal);
        Assert.Equal("failed", (string?)plain["status"]);
        Assert.Contains("the service refused the request; not retried", (string?)plain["reason"], StringComparison.Ordinal);
    }
}
