using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Actions.Kit;
using Sluice.Routing;
using Sluice.Storage;
using Sluice.Workspace;

// Router + mapping throughput: each event goes through what Sluice does between the inbox and
// the wire — parse, Integrations object, filters, every trigger, mapping, payload validation,
// the stored payload — and then what the dispatcher does before sending: parse the stored payload
// and build each request (JSON body). No I/O. One thread; run it under taskset.
//
// "engine" is the same work as Segment's reference loop: events already parsed (the reference
// keeps them as objects), every trigger, mapping, validation and request, without the routing
// decisions' bookkeeping and the job.
//
//   dotnet run -c Release --project bench/routing -- CORPUS.jsonl [WORKSPACE.yaml ...]
//   dotnet run -c Release --project bench/routing -- --stages CORPUS.jsonl [WORKSPACE.yaml]   (µs an event per stage)
var stages = args.Length > 0 && args[0] == "--stages";
args = stages ? args[1..] : args;
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Sluice.Bench.Routing [--stages] CORPUS.jsonl [WORKSPACE.yaml ...]");
    return 2;
}

var corpus = File.ReadLines(args[0]).Where(l => l.Length > 0).Select(l => System.Text.Encoding.UTF8.GetBytes(l)).ToArray();
var workspaces = args.Length > 1 ? args[1..] : [Path.Combine(AppContext.BaseDirectory, "presets.yaml"), Path.Combine(AppContext.BaseDirectory, "realistic.yaml")];
const int EventsPerRun = 10_000;

// The optimised code takes a while to replace the first: runs repeat for this long before the measured ones.
var warmUp = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("WARMUP_SECONDS") ?? "10", System.Globalization.CultureInfo.InvariantCulture));
var rounds = int.Parse(Environment.GetEnvironmentVariable("ROUNDS") ?? "10", System.Globalization.CultureInfo.InvariantCulture);

if (stages)
{
    // Where an event's time goes, stage by stage, on the first workspace's first destination; the JIT has settled by the last rounds.
    var table = new RoutingTable(WorkspaceFileLoader.Load(workspaces[0], _ => null));
    var destination = table.ForSource("web")[0];
    var clocks = Enumerable.Range(0, 5).Select(_ => new Stopwatch()).ToArray();
    var allocated = new long[5];
    void Start(int stage)
    {
        allocated[stage] -= GC.GetAllocatedBytesForCurrentThread();
        clocks[stage].Start();
    }

    void Stop(int stage)
    {
        clocks[stage].Stop();
        allocated[stage] += GC.GetAllocatedBytesForCurrentThread();
    }

    for (var round = 0; round < rounds; round++)
    {
        Array.ForEach(clocks, c => c.Reset());
        Array.Clear(allocated);
        for (var i = 0; i < 20_000; i++)
        {
            Start(0);
            using var document = JsonDocument.Parse(corpus[i % corpus.Length]);
            Stop(0);
            foreach (var mapping in destination.Mappings)
            {
                Start(1);
                var matches = mapping.Trigger.Matches(document.RootElement);
                Stop(1);
                if (!matches)
                {
                    continue;
                }

                try
                {
                    Start(2);
                    var payload = mapping.Action.TryWritePayload(mapping.Mapping, document.RootElement, destination.Settings, "m", out var built)
                        ?? JsonSerializer.SerializeToUtf8Bytes(mapping.Action.PreparePayload(mapping.Mapping, document.RootElement));
                    Stop(2);
                    if (built is not null)
                    {
                        continue;
                    }

                    Start(3);
                    var job = new Sluice.Delivery.DeliveryJob(new ClaimedDelivery(0, destination.Id, mapping.Name, mapping.Action.Slug, "m", 0, 0, 0, 0, payload), destination);
                    Stop(3);
                    Start(4);
                    mapping.Action.Perform(job.Input(destination));
                    Stop(4);
                }
                catch (DeliverySkippedException)
                {
                    for (var stage = 0; stage < clocks.Length; stage++)
                    {
                        if (clocks[stage].IsRunning)
                        {
                            Stop(stage);
                        }
                    }
                }
            }
        }

        string Per(int stage) => (clocks[stage].Elapsed.TotalMicroseconds / 20_000).ToString("F1", System.Globalization.CultureInfo.InvariantCulture)
            + $" ({allocated[stage] / 20_000} B)";
        Console.WriteLine($"round {round + 1}: µs (allocated bytes) an event: parse {Per(0)}, triggers {Per(1)}, payload (with the requests when built at routing) {Per(2)}, payload parse {Per(3)}, perform {Per(4)}");
    }

    return 0;
}

foreach (var file in workspaces)
{
    var table = new RoutingTable(WorkspaceFileLoader.Load(file, _ => null));
    var decisions = new RoutingDecisions(table, NullLogger<RoutingDecisions>.Instance);
    var mappings = table.All.Sum(d => d.Mappings.Count);
    WarmUp(() => Run(decisions, table, EventsPerRun));
    var runs = Enumerable.Range(0, 5).Select(_ => Run(decisions, table, EventsPerRun)).ToList();
    var best = runs.MaxBy(r => r.EventsPerSecond)!;
    var documents = corpus.Select(json => JsonDocument.Parse(json)).ToArray();
    WarmUp(() => Engine(table, documents, EventsPerRun));
    var engine = Enumerable.Range(0, 5).Select(_ => Engine(table, documents, EventsPerRun)).Order().ToList();
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        workspace = Path.GetFileNameWithoutExtension(file),
        destinations = table.All.Count(),
        mappings,
        events = EventsPerRun,
        eventsPerSecond = runs.Select(r => Math.Round(r.EventsPerSecond)).ToArray(),
        bestEventsPerSecond = Math.Round(best.EventsPerSecond),
        medianEventsPerSecond = Math.Round(runs.Select(r => r.EventsPerSecond).Order().ElementAt(runs.Count / 2)),
        jobsPerEvent = Math.Round((double)best.Jobs / EventsPerRun, 3),
        requestsPerEvent = Math.Round((double)best.Requests / EventsPerRun, 3),
        allocatedBytesPerEvent = best.AllocatedBytes / EventsPerRun,
        engineEventsPerSecond = engine.Select(e => Math.Round(e)).ToArray(),
        bestEngineEventsPerSecond = Math.Round(engine[^1]),
        medianEngineEventsPerSecond = Math.Round(engine[engine.Count / 2]),
    }));
}

return 0;

void WarmUp(Action run)
{
    for (var clock = Stopwatch.StartNew(); clock.Elapsed < warmUp;)
    {
        run();
    }
}

RunResult Run(RoutingDecisions decisions, RoutingTable table, int events)
{
    var deliveries = new List<NewDelivery>(64);
    long jobs = 0, requests = 0;
    var allocated = GC.GetAllocatedBytesForCurrentThread();
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < events; i++)
    {
        var json = corpus[i % corpus.Length];
        deliveries.Clear();
        decisions.Route(new LoggedMessage(i, 0, "web", json), deliveries);
        foreach (var delivery in deliveries)
        {
            if (delivery.Status != DeliveryStatus.Pending || delivery.Payload is null)
            {
                continue;
            }

            jobs++;
            if (delivery.Requests is { } built)
            {
                // Built as it was routed: the dispatcher sends them as they are.
                requests += built.Count;
                continue;
            }

            // What the dispatcher does with a routed delivery: its job (the payload parsed once), then perform.
            var job = new Sluice.Delivery.DeliveryJob(
                new ClaimedDelivery(jobs, delivery.DestinationId, delivery.Mapping!, delivery.Action!, delivery.MessageId, delivery.LogPosition, delivery.MessageIndex, 0, 0, delivery.Payload),
                table.Find(delivery.DestinationId));
            try
            {
                requests += job.Action!.Perform(job.Input(job.Destination!)).Count;
            }
            catch (DeliverySkippedException)
            {
                // Skipped at send time (a malformed session URL, say): counted as an event, not a request.
            }
        }
    }

    clock.Stop();
    return new RunResult(events / clock.Elapsed.TotalSeconds, jobs, requests, GC.GetAllocatedBytesForCurrentThread() - allocated);
}

double Engine(RoutingTable table, JsonDocument[] documents, int events)
{
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < events; i++)
    {
        var root = documents[i % documents.Length].RootElement;
        var messageId = root.TryGetProperty("messageId", out var id) ? id.GetString() ?? "" : "";
        foreach (var destination in table.ForSource("web"))
        {
            foreach (var mapping in destination.Mappings)
            {
                if (!mapping.Trigger.Matches(root))
                {
                    continue;
                }

                try
                {
                    // As routing and the dispatcher do: the requests built with the plan's payload, else the payload's bytes parsed, else the resolver's payload.
                    if (mapping.Action.TryWritePayload(mapping.Mapping, root, destination.Settings, messageId, out var built) is { } written)
                    {
                        if (built is not null)
                        {
                            continue;
                        }

                        var element = JsonElement.Parse(written);
                        mapping.Action.Perform(new ActionInput(System.Text.Json.Nodes.JsonObject.Create(element)!, destination.Settings, messageId) { PayloadElement = element });
                    }
                    else
                    {
                        mapping.Action.Perform(new ActionInput(mapping.Action.PreparePayload(mapping.Mapping, root), destination.Settings, messageId));
                    }
                }
                catch (DeliverySkippedException)
                {
                    // Skipped: as the reference's loop, which catches and goes on.
                }
            }
        }
    }

    return events / clock.Elapsed.TotalSeconds;
}

internal sealed record RunResult(double EventsPerSecond, long Jobs, long Requests, long AllocatedBytes);
