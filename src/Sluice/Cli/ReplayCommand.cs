using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Sluice.Cli;

/// <summary>
/// <c>sluice replay --destination ID</c>: asks a running server to send a destination's failed
/// deliveries again (the Admin API's replay), then follows them until none is waiting for a first try.
/// </summary>
internal static class ReplayCommand
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    public static Command Create()
    {
        var destination = new Option<string>("--destination") { Description = "The destination instance's id", Required = true };
        var status = new Option<string>("--status") { Description = "Which deliveries to send again: failed (default), delivered", DefaultValueFactory = _ => "failed" };
        var since = new Option<string?>("--since") { Description = "Only deliveries created at or after this ISO-8601 time" };
        var until = new Option<string?>("--until") { Description = "Only deliveries created before this ISO-8601 time" };
        var admin = new AdminConnection("The server", "An admin token");
        var command = new Command("replay", "Send a destination's failed deliveries again.") { destination, status, since, until, admin.Host, admin.Token };
        command.SetAction(async (parse, cancellation) =>
        {
            var (connected, baseUrl) = await admin.ConnectAsync(parse);
            if (connected is null)
            {
                return 2;
            }

            using var client = connected;
            var id = Uri.EscapeDataString(parse.GetValue(destination)!);
            var body = new JsonObject { ["status"] = parse.GetValue(status) };
            if (parse.GetValue(since) is { } s)
            {
                body["since"] = s;
            }

            if (parse.GetValue(until) is { } u)
            {
                body["until"] = u;
            }

            if (await AdminConnection.ReadAnswerAsync(baseUrl, () => client.GetAsync($"/api/v1/destinations/{id}/stats", cancellation), cancellation) is not { } counts
                || await AdminConnection.ReadAnswerAsync(baseUrl, () => client.PostAsJsonAsync($"/api/v1/destinations/{id}/replay", body, cancellation), cancellation) is not { } answer)
            {
                return 1;
            }

            var before = JsonNode.Parse(counts);
            var requeued = (int?)JsonNode.Parse(answer)?["requeued"] ?? 0;
            Console.WriteLine($"requeued {requeued}");
            if (requeued == 0)
            {
                return 0;
            }

            await AnsiConsole.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask($"replaying to {parse.GetValue(destination)}", maxValue: requeued);
                while (!cancellation.IsCancellationRequested)
                {
                    var stats = JsonNode.Parse(await client.GetStringAsync($"/api/v1/destinations/{id}/stats", cancellation))!;
                    var waiting = (long?)stats["pending"] ?? 0;
                    task.Value = Math.Max(0, requeued - waiting);
                    if (waiting == 0)
                    {
                        break;
                    }

                    await Task.Delay(Poll, cancellation);
                }
            });

            // What this replay did: the counts now, against the counts before less what the replay took from its status.
            var final = JsonNode.Parse(await client.GetStringAsync($"/api/v1/destinations/{id}/stats", cancellation))!;
            var replayed = parse.GetValue(status);
            long Change(string name) => ((long?)final[name] ?? 0) - ((long?)before?[name] ?? 0) + (name == replayed ? requeued : 0);
            Console.WriteLine($"this replay: {Change("delivered"):N0} delivered, {Change("failed"):N0} failed again, {Change("retrying"):N0} retrying (the destination now has {(long?)final["delivered"]:N0} delivered, {(long?)final["failed"]:N0} failed)");
            return 0;
        });
        return command;
    }
}
