using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Sluice.Cli;

/// <summary>
/// <c>sluice status</c>: asks a running node for the cluster as the store has it (the Admin API's
/// <c>/api/v1/cluster</c>) and prints the nodes alive, the partitions each holds and how far behind
/// its consumers are, then any partition no live node holds.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var admin = new AdminConnection("Any node of the cluster", "An admin token, read-only is enough");
        var command = new Command("status", "Print the cluster: nodes alive, partitions each holds, consumer lag.") { admin.Host, admin.Token };
        command.SetAction(async (parse, cancellation) =>
        {
            var (connected, baseUrl) = await admin.ConnectAsync(parse);
            if (connected is null)
            {
                return 2;
            }

            using var client = connected;
            if (await AdminConnection.ReadAnswerAsync(baseUrl, () => client.GetAsync("/api/v1/cluster", cancellation), cancellation) is not { } answer)
            {
                return 1;
            }

            Print(JsonNode.Parse(answer)!);
            return 0;
        });
        return command;
    }

    private static void Print(JsonNode cluster)
    {
        var nodes = cluster["nodes"]!.AsArray();
        var partitions = cluster["partitions"]!.AsArray();
        var consumers = partitions.SelectMany(p => p!["lagSeconds"]!.AsObject().Select(c => c.Key)).Distinct().Order().ToList();
        Console.WriteLine($"store {cluster["store"]}; {nodes.Count} node(s) alive; {partitions.Count(p => p!["owner"] is not null)} of {(int)cluster["partitionCount"]!} partitions held; leases of {(double)cluster["leaseSeconds"]!:0.#} s; answered by {cluster["node"]}");
        var header = new List<string> { "node", "started (UTC)", "last seen (UTC)", "partitions" };
        header.AddRange(consumers.Select(c => $"{c} lag"));
        var rows = new List<List<string>> { header };
        foreach (var node in nodes)
        {
            var row = new List<string>
            {
                Short((string)node!["node"]!),
                Time(node["startedAt"]),
                Time(node["lastSeenAt"]),
                ((int)node["partitions"]!).ToString(CultureInfo.InvariantCulture),
            };
            row.AddRange(consumers.Select(c => Seconds((double?)node["lagSeconds"]?[c] ?? 0)));
            rows.Add(row);
        }

        // Plain columns, never wrapped, whatever the terminal: scripts read this too.
        var widths = header.Select((_, i) => rows.Max(r => r[i].Length)).ToList();
        foreach (var row in rows)
        {
            Console.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }

        var free = partitions.Where(p => p!["owner"] is null).Select(p => (int)p!["partition"]!).ToList();
        Console.WriteLine(free.Count == 0
            ? "every partition is held"
            : $"not held by a live node ({free.Count}): {string.Join(", ", free)}; a dead node's partitions are claimed once its lease runs out");
    }

    /// <summary>host:port and the first 8 characters of the life's id: enough to tell two lives of a node apart.</summary>
    private static string Short(string node) => node.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 && node.Length > hash + 9 ? node[..(hash + 9)] : node;

    private static string Time(JsonNode? iso) =>
        DateTimeOffset.TryParse((string?)iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "";

    private static string Seconds(double seconds) => seconds < 1 ? "0 s" : $"{seconds.ToString("N0", CultureInfo.InvariantCulture)} s";
}
