using System.Globalization;
using Sluice.Infrastructure;

namespace Sluice.EventLog;

/// <summary>Nodes on one PostgreSQL store share the log's partitions as they come and go, and <c>sluice status</c> shows who holds what.</summary>
public sealed class PartitionBalanceTests
{
    private static readonly Dictionary<string, string> ShortLeases = new() { ["SLUICE_LEASE_DURATION"] = "3s" };

    [Fact]
    public async Task A_joining_node_takes_its_share_a_stopping_node_hands_its_partitions_over_and_status_shows_who_holds_what()
    {
        var postgres = PostgresServer.NewDatabase();
        var workspace = await TestWorkspace.WithTrackWebhookAsync("wk_balance", "hook", "http://127.0.0.1:9/in");
        await using var a = await workspace.StartNodeAsync(postgres, environment: ShortLeases);
        await Eventually.True(async () => await HeldAsync(a) == 64, TimeSpan.FromSeconds(30));

        await using var b = await workspace.StartNodeAsync(postgres, environment: ShortLeases);
        await Eventually.True(async () => await HeldAsync(a) == 32 && await HeldAsync(b) == 32, TimeSpan.FromSeconds(30));
        var status = await SluiceCli.RunAsync(["status", "--host", b.BaseUrl], new Dictionary<string, string> { ["SLUICE_ADMIN_TOKEN"] = SluiceProcess.AdminToken });

        await b.StopAsync();
        await Eventually.True(async () => await HeldAsync(a) == 64, TimeSpan.FromSeconds(30));

        Assert.Equal(0, status.ExitCode);
        Assert.Contains("store postgres; 2 node(s) alive; 64 of 64 partitions held", status.Output, StringComparison.Ordinal);
        Assert.Contains($":{a.Port}#", status.Output, StringComparison.Ordinal);
        Assert.Contains($":{b.Port}#", status.Output, StringComparison.Ordinal);
        Assert.Contains("every partition is held", status.Output, StringComparison.Ordinal);
    }

    /// <summary>The node's <c>sluice_partitions_held</c> gauge.</summary>
    private static async Task<int> HeldAsync(SluiceProcess node)
    {
        var metrics = await node.Admin.GetStringAsync("/metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("sluice_partitions_held ", StringComparison.Ordinal));
        return (int)double.Parse(line["sluice_partitions_held ".Length..], CultureInfo.InvariantCulture);
    }
}
