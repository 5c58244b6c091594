using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// End to end through a running `sluice serve`: events go in by /v1/batch, a webhook mapping sends
// each one (one HTTP request per delivery, keep-alive) to a sink in this process, which notes when
// it arrived. Phase 1 measures deliveries/s with a backlog; phase 2 sends at a fixed rate and
// measures ingest→delivered latency (from just before the batch request to the sink's receipt).
//
// With --postgres CONNSTRING, the nodes (--nodes N, default 1) share that PostgreSQL store and the
// requests go round-robin to them; --postgres-pid is the postmaster, whose backends' CPU is counted
// with the nodes' for the per-event cost, and the WAL written is read from the server.
//
//   Sluice.Bench.Delivery --sluice PATH [--events 200000] [--rate 2000] [--seconds 30] [--track-seconds 15] [--warm-seconds 20]
//                         [--postgres CONN --postgres-pid PID] [--nodes N] [--progress] [--profiles]
//   Sluice.Bench.Delivery --sluice PATH --backlog 1000000
//
// With --profiles the workspace has `identity: {}`: profiles are built beside routing and delivery.
// With --backlog N the sink answers 503 throughout (the destination is down) while N events go in;
// the node's resident memory is read as the backlog builds, once routing has caught up, and a while later;
// then the sink answers again and the backlog drains through the dispatcher's claims (the recovery rate).
var options = Options.Parse(args);
var clock = Stopwatch.StartNew();
var sink = await Sink.StartAsync(clock);
var workDirectory = Directory.CreateTempSubdirectory("sluice-bench-delivery-");
var sluicePort = FreePort();
var config = Path.Combine(workDirectory.FullName, "sluice.yaml");
await File.WriteAllTextAsync(config, $$"""
    sources:
      - {id: bench, writeKey: wk_bench}
    destinations:
      - id: sink
        type: webhook
        sources: [bench]
        mappings:
          - name: Every track
            action: send
            trigger: 'type = "track"'
            mapping:
              url: '{{sink.Url}}/in'
              method: POST
              data:
                id: {'@path': '$.messageId'}
                t0: {'@path': '$.properties.t0'}
    {{(options.Profiles ? "identity: {}" : "")}}
    """);
const string AdminToken = "sl_owner_bench-delivery";
var nodes = new List<Process>();
var clients = new List<HttpClient>();
for (var n = 0; n < options.Nodes; n++)
{
    var port = n == 0 ? sluicePort : FreePort();
    List<string> arguments = ["serve", "--urls", $"http://127.0.0.1:{port}", "--data", Path.Combine(workDirectory.FullName, "data"), "--config", config];
    if (options.Postgres is { } postgres)
    {
        arguments.AddRange(["--store", "postgres", "--postgres", postgres]);
    }

    var start = new ProcessStartInfo(options.Sluice, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
    start.Environment["SLUICE_ADMIN_TOKEN"] = AdminToken;
    var node = Process.Start(start)!;
    _ = node.StandardOutput.ReadToEndAsync();
    _ = node.StandardError.ReadToEndAsync();
    nodes.Add(node);
    var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("wk_bench:")));
    clients.Add(client);
    // One after another: the first creates the schema, the others find it.
    await WaitForHealthAsync(client);
}

var http = clients[0];
try
{
    var sender = new Sender(clients, clock);
    var cost = new Cost(nodes, options.PostgresPid, options.Postgres);
    using var progress = new CancellationTokenSource();
    if (options.Progress)
    {
        // Once a second: how many are delivered and how many wait (stderr), to see which stage falls behind.
        _ = Task.Run(async () =>
        {
            using var admin = new HttpClient { BaseAddress = http.BaseAddress };
            admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
            while (!progress.IsCancellationRequested)
            {
                var stats = await admin.GetStringAsync("/api/v1/destinations/sink/stats");
                Console.Error.WriteLine($"{clock.Elapsed.TotalSeconds,7:F1}s sink received {sink.Count,8:N0}  {stats}");
                await Task.Delay(1000);
            }
        });
    }

    if (options.Backlog is { } backlog)
    {
        return await BuildBacklogAsync(backlog, sender, sink, nodes[0], http.BaseAddress!, clock);
    }

    // Both request paths run until the JIT has compiled them fully (tiered compilation takes 20-30 s
    // under load here), so that what follows measures the steady state of a node that has been up a while.
    Console.Error.WriteLine($"warm-up: {options.WarmSeconds} s of /v1/batch, then of /v1/track");
    var warmed = 0;
    var warmUntil = clock.Elapsed + TimeSpan.FromSeconds(options.WarmSeconds);
    do
    {
        await sender.SendAsync(4_000, concurrency: 4);
        warmed += 4_000;
    }
    while (clock.Elapsed < warmUntil);

    warmed += await sender.TrackAsync(TimeSpan.FromSeconds(options.WarmSeconds), concurrency: 32);
    await sink.WaitForAsync(warmed, TimeSpan.FromMinutes(5));

    await FlushPageCacheAsync();
    Console.Error.WriteLine($"track: {options.TrackSeconds} s of /v1/track, one event per request");
    var trackRequests = await sender.TrackAsync(TimeSpan.FromSeconds(options.TrackSeconds), concurrency: 32);
    await sink.WaitForAsync(warmed + trackRequests, TimeSpan.FromMinutes(5));

    await FlushPageCacheAsync();
    Console.Error.WriteLine($"throughput: {options.Events:N0} events as fast as they go in");
    var before = sink.Count;
    var spentBefore = await cost.ReadAsync();
    var started = clock.Elapsed;
    await sender.SendAsync(options.Events, concurrency: 4);
    var ingested = clock.Elapsed - started;
    var deliveredDuringIngest = sink.Count - before;
    await sink.WaitForAsync(before + options.Events, TimeSpan.FromMinutes(10));
    var delivered = sink.ArrivalOf(before + options.Events - 1) - started;
    // Once ingest stops competing for the CPU, the backlog drains at the dispatcher's own pace.
    var drainRate = (options.Events - deliveredDuringIngest) / (delivered - ingested).TotalSeconds;
    var spent = (await cost.ReadAsync()) - spentBefore;

    await FlushPageCacheAsync();
    Console.Error.WriteLine($"latency: {options.Rate:N0} events/s for {options.Seconds} s");
    before = sink.Count;
    sink.StartLatencyWindow();
    var sent = await sender.SendAtRateAsync(options.Rate, TimeSpan.FromSeconds(options.Seconds));
    await sink.WaitForAsync(before + sent, TimeSpan.FromMinutes(2));
    var latencies = sink.Latencies();

    Console.WriteLine(JsonSerializer.Serialize(new
    {
        store = options.Postgres is null ? "sqlite" : "postgres",
        nodes = options.Nodes,
        profiles = options.Profiles,
        warmSeconds = options.WarmSeconds,
        trackSeconds = options.TrackSeconds,
        trackRequestsPerSecond = Math.Round(trackRequests / (double)options.TrackSeconds),
        events = options.Events,
        ingestSeconds = Math.Round(ingested.TotalSeconds, 2),
        ingestEventsPerSecond = Math.Round(options.Events / ingested.TotalSeconds),
        deliverySeconds = Math.Round(delivered.TotalSeconds, 2),
        deliveriesPerSecond = Math.Round(options.Events / delivered.TotalSeconds),
        deliveredDuringIngest,
        drainDeliveriesPerSecond = Math.Round(drainRate),
        latencyRate = options.Rate,
        latencyEvents = sent,
        latencyAchievedRate = Math.Round(sent / (double)options.Seconds),
        p50Milliseconds = Math.Round(Percentile(latencies, 0.50), 1),
        p99Milliseconds = Math.Round(Percentile(latencies, 0.99), 1),
        maxMilliseconds = Math.Round(latencies.Count == 0 ? 0 : latencies[^1], 1),
        cpuMicrosecondsPerEvent = Math.Round(spent.CpuSeconds * 1e6 / options.Events, 1),
        sluiceCpuMicrosecondsPerEvent = Math.Round(spent.SluiceCpuSeconds * 1e6 / options.Events, 1),
        walBytesPerEvent = options.Postgres is null ? (double?)null : Math.Round(spent.WalBytes / (double)options.Events),
        sluicePeakRssMiB = nodes.Max(n => PeakRssMiB(n.Id)),
        nonSuccessAnswers = sender.Failures,
    }));
    await progress.CancelAsync();
    return sender.Failures == 0 ? 0 : 3;
}
finally
{
    foreach (var node in nodes)
    {
        node.Kill(entireProcessTree: true);
    }

    await sink.DisposeAsync();
    try
    {
        workDirectory.Delete(recursive: true);
    }
    catch (IOException)
    {
    }
}

static async Task<int> BuildBacklogAsync(int backlog, Sender sender, Sink sink, Process node, Uri sluice, Stopwatch clock)
{
    using var admin = new HttpClient { BaseAddress = sluice };
    admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
    sink.Down = true;
    var samples = new List<object>();
    async Task SampleAsync(string when, int sent) =>
        samples.Add(new { when, sent, seconds = Math.Round(clock.Elapsed.TotalSeconds, 1), routed = await RoutedAsync(admin), rssMiB = RssMiB(node.Id) });

    await SampleAsync("start", 0);
    var started = clock.Elapsed;
    var step = Math.Max(1, backlog / 10);
    for (var sent = 0; sent < backlog;)
    {
        var part = Math.Min(step, backlog - sent);
        await sender.SendAsync(part, concurrency: 4);
        sent += part;
        await SampleAsync("sending", sent);
    }

    var ingested = clock.Elapsed - started;
    var routedBy = clock.Elapsed + TimeSpan.FromMinutes(15);
    while (await RoutedAsync(admin) < backlog && clock.Elapsed < routedBy)
    {
        await Task.Delay(1000);
    }

    await SampleAsync("routed", backlog);
    // The dispatcher keeps probing the destination that is down; memory must stay where it is.
    await Task.Delay(TimeSpan.FromSeconds(30));
    await SampleAsync("30 s later", backlog);

    // The destination is back: its hold's next probe finds it (at most a minute apart), then the claims
    // drain what waited. Every delivery of the backlog goes through a claim and its outcome's write.
    var cost = new Cost([node], null, null);
    var spentBefore = await cost.ReadAsync();
    sink.Down = false;
    var upAt = clock.Elapsed;
    await sink.WaitForAsync(backlog, TimeSpan.FromMinutes(20));
    var spent = (await cost.ReadAsync()) - spentBefore;
    var (first, last) = (sink.ArrivalOf(0), sink.ArrivalOf(backlog - 1));
    await SampleAsync("drained", backlog);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        backlog,
        ingestSeconds = Math.Round(ingested.TotalSeconds, 1),
        ingestEventsPerSecond = Math.Round(backlog / ingested.TotalSeconds),
        firstDeliveryAfterUpSeconds = Math.Round((first - upAt).TotalSeconds, 1),
        drainSeconds = Math.Round((last - first).TotalSeconds, 1),
        drainDeliveriesPerSecond = Math.Round((backlog - 1) / (last - first).TotalSeconds),
        drainSluiceCpuMicrosecondsPerDelivery = Math.Round(spent.SluiceCpuSeconds * 1e6 / backlog, 1),
        samples,
        refusedBySink = sink.Refused,
        sluicePeakRssMiB = PeakRssMiB(node.Id),
        nonSuccessAnswers = sender.Failures,
    }));
    return sender.Failures == 0 ? 0 : 3;
}

// Every delivery the router has recorded for the sink, whatever its status.
static async Task<long> RoutedAsync(HttpClient admin)
{
    using var stats = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/destinations/sink/stats"));
    return stats.RootElement.EnumerateObject().Sum(status => status.Value.GetInt64());
}

// What the phase before wrote to files sits in the kernel's page cache and is written out about 30 s
// later, all at once (vm.dirty_expire_centisecs). On ext4 a commit's fsync then waits for that
// writeback: 200 to 350 ms here, measured, for the 200-330 MB a warm-up leaves. Flushed before each
// measured phase, a phase measures its own writes, as a node in a steady state would, not the
// phase before it. docs/deploy.md says how to keep that writeback steady on a real machine.
static async Task FlushPageCacheAsync()
{
    using var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false })!;
    await sync.WaitForExitAsync();
}

static long RssMiB(int pid) => StatusKiB(pid, "VmRSS:") / 1024;

static long StatusKiB(int pid, string field)
{
    try
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }
    catch (IOException)
    {
        return 0;
    }
}

static double Percentile(IReadOnlyList<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

static int FreePort()
{
    using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task WaitForHealthAsync(HttpClient http)
{
    for (var i = 0; i < 300; i++)
    {
        try
        {
            if ((await http.GetAsync("/health")).IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }

        await Task.Delay(100);
    }

    throw new TimeoutException("sluice did not answer /health");
}

static long PeakRssMiB(int pid) => StatusKiB(pid, "VmHWM:") / 1024;

internal sealed record Options(string Sluice, int Events, int Rate, int Seconds, bool Progress, int TrackSeconds, int WarmSeconds, int Nodes, string? Postgres, int? PostgresPid, bool Profiles, int? Backlog)
{
    public static Options Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        return new Options(
            Value("--sluice") ?? throw new ArgumentException("--sluice PATH is required"),
            int.Parse(Value("--events") ?? "200000", System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--rate") ?? "2000", System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--seconds") ?? "30", System.Globalization.CultureInfo.InvariantCulture),
            args.Contains("--progress"),
            int.Parse(Value("--track-seconds") ?? "15", System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--warm-seconds") ?? "20", System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--nodes") ?? "1", System.Globalization.CultureInfo.InvariantCulture),
            Value("--postgres"),
            Value("--postgres-pid") is { } pid ? int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture) : null,
            args.Contains("--profiles"),
            Value("--backlog") is { } backlog ? int.Parse(backlog, System.Globalization.CultureInfo.InvariantCulture) : null);
    }
}

/// <summary>
/// CPU time spent by the nodes and PostgreSQL's processes (from /proc: user + system, clock ticks of
/// 10 ms) and the WAL PostgreSQL wrote, read before and after a phase.
/// </summary>
internal sealed class Cost(IReadOnlyList<Process> nodes, int? postmaster, string? postgres)
{
    public async Task<Spent> ReadAsync()
    {
        var sluice = nodes.Sum(n => CpuSeconds(n.Id));
        var database = postmaster is { } pid ? CpuSeconds(pid) + ChildrenOf(pid).Sum(CpuSeconds) : 0;
        long wal = 0;
        if (postgres is not null)
        {
            await using var connection = new Npgsql.NpgsqlConnection(postgres);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint", connection);
            wal = (long)(await command.ExecuteScalarAsync())!;
        }

        return new Spent(sluice + database, sluice, wal);
    }

    private static IEnumerable<int> ChildrenOf(int parent) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsAsciiDigit)).Select(d => int.Parse(d!, System.Globalization.CultureInfo.InvariantCulture))
            .Where(pid => Stat(pid) is { Length: > 3 } fields && fields[1] == parent.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static double CpuSeconds(int pid) => Stat(pid) is { Length: > 14 } fields
        ? (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0
        : 0;

    /// <summary>The fields of /proc/PID/stat after the command name (which may hold spaces): [0] is the state, [1] the parent, [11] utime, [12] stime.</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }
}

internal readonly record struct Spent(double CpuSeconds, double SluiceCpuSeconds, long WalBytes)
{
    public static Spent operator -(Spent after, Spent before) => new(after.CpuSeconds - before.CpuSeconds, after.SluiceCpuSeconds - before.SluiceCpuSeconds, after.WalBytes - before.WalBytes);
}

/// <summary>Sends track events in /v1/batch requests of 100 (or fewer at a fixed rate), each carrying its send time as <c>properties.t0</c>; requests go round-robin to the nodes.</summary>
internal sealed class Sender(IReadOnlyList<HttpClient> nodes, Stopwatch clock)
{
    private long _requests;

    /// <summary>One event per /v1/track request from <paramref name="concurrency"/> loops for <paramref name="duration"/>; returns the requests answered.</summary>
    public async Task<int> TrackAsync(TimeSpan duration, int concurrency)
    {
        var end = clock.Elapsed + duration;
        var answered = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (clock.Elapsed < end)
            {
                var id = Interlocked.Increment(ref _next);
                var body = "{\"type\":\"track\",\"event\":\"Page Viewed\",\"userId\":\"user-" + (id % 5000).ToString(System.Globalization.CultureInfo.InvariantCulture)
                    + "\",\"messageId\":\"" + _run + "-t" + id.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    + "\",\"properties\":{\"t0\":0,\"path\":\"/pricing\"},\"context\":{\"library\":{\"name\":\"bench\",\"version\":\"1\"}}}";
                using var response = await Next().PostAsync("/v1/track", new StringContent(body, Encoding.UTF8, "application/json"));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref _failures);
                }

                Interlocked.Increment(ref answered);
            }
        }));
        return answered;
    }

    private HttpClient Next() => nodes[(int)(Interlocked.Increment(ref _requests) % nodes.Count)];

    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private long _next;
    private int _failures;

    public int Failures => _failures;

    public async Task SendAsync(int events, int concurrency)
    {
        var remaining = events;
        var gate = new object();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (true)
            {
                int count;
                lock (gate)
                {
                    count = Math.Min(100, remaining);
                    remaining -= count;
                }

                if (count == 0)
                {
                    return;
                }

                await PostAsync(count);
            }
        }));
    }

    /// <summary>Batches every 10 ms, sized so that the total follows the rate even when a tick is late.</summary>
    public async Task<int> SendAtRateAsync(int perSecond, TimeSpan duration)
    {
        var start = clock.Elapsed;
        var sent = 0;
        var inFlight = new List<Task>();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (clock.Elapsed - start < duration && await timer.WaitForNextTickAsync())
        {
            var due = (int)Math.Min(perSecond * duration.TotalSeconds, perSecond * (clock.Elapsed - start).TotalSeconds) - sent;
            for (; due > 0; due -= Math.Min(100, due))
            {
                var count = Math.Min(100, due);
                sent += count;
                inFlight.Add(PostAsync(count));
            }
        }

        await Task.WhenAll(inFlight);
        return sent;
    }

    private async Task PostAsync(int count)
    {
        var t0 = clock.Elapsed.TotalMilliseconds;
        var body = new StringBuilder("{\"batch\":[");
        for (var i = 0; i < count; i++)
        {
            var id = Interlocked.Increment(ref _next);
            body.Append(i == 0 ? "" : ",")
                .Append("{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"user-").Append(id % 5000)
                .Append("\",\"messageId\":\"").Append(_run).Append('-').Append(id)
                .Append("\",\"properties\":{\"t0\":").Append(t0.ToString("F3", System.Globalization.CultureInfo.InvariantCulture))
                .Append(",\"order_id\":\"o-").Append(id).Append("\",\"total\":42.5,\"currency\":\"EUR\"}")
                .Append(",\"context\":{\"library\":{\"name\":\"bench\",\"version\":\"1\"}}}");
        }

        body.Append("]}");
        using var response = await Next().PostAsync("/v1/batch", new StringContent(body.ToString(), Encoding.UTF8, "application/json"));
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Interlocked.Increment(ref _failures);
        }
    }
}

/// <summary>The webhook's receiver: answers 200 at once and notes each arrival (and, in the latency window, its delay).</summary>
internal sealed class Sink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Stopwatch _clock;
    private readonly List<TimeSpan> _arrivals = [];
    private readonly List<double> _latencies = [];
    private volatile bool _measuring;
    private long _refused;
    private volatile bool _down;

    private Sink(WebApplication app, Stopwatch clock)
    {
        _app = app;
        _clock = clock;
    }

    public string Url { get; private set; } = "";

    /// <summary>Answer 503 to everything, as a destination that is down.</summary>
    public bool Down
    {
        get => _down;
        set => _down = value;
    }

    /// <summary>Requests answered 503 while <see cref="Down"/>.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public int Count
    {
        get
        {
            lock (_arrivals)
            {
                return _arrivals.Count;
            }
        }
    }

    public static async Task<Sink> StartAsync(Stopwatch clock)
    {
        // No watcher on the content root (nothing reads settings files here): it would take an inotify instance and read every write under the working directory, a store's WAL included.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sink = new Sink(app, clock);
        app.MapPost("/in", async context =>
        {
            var arrived = clock.Elapsed;
            if (sink.Down)
            {
                Interlocked.Increment(ref sink._refused);
                await context.Request.Body.CopyToAsync(Stream.Null);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            if (!sink._measuring)
            {
                // Outside the latency window the sink only counts, so that it takes as little CPU from sluice as it can.
                await context.Request.Body.CopyToAsync(Stream.Null);
                sink.Arrived(arrived, double.NaN);
                return;
            }

            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            sink.Arrived(arrived, document.RootElement.TryGetProperty("t0", out var sent) ? arrived.TotalMilliseconds - sent.GetDouble() : double.NaN);
        });
        await app.StartAsync();
        sink.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return sink;
    }

    private void Arrived(TimeSpan at, double latency)
    {
        lock (_arrivals)
        {
            _arrivals.Add(at);
            if (!double.IsNaN(latency))
            {
                _latencies.Add(latency);
            }
        }
    }

    public void StartLatencyWindow()
    {
        lock (_arrivals)
        {
            _measuring = true;
        }
    }

    public TimeSpan ArrivalOf(int index)
    {
        lock (_arrivals)
        {
            return _arrivals[index];
        }
    }

    public List<double> Latencies()
    {
        lock (_arrivals)
        {
            return [.. _latencies.Order()];
        }
    }

    public async Task WaitForAsync(int count, TimeSpan limit)
    {
        var deadline = _clock.Elapsed + limit;
        while (Count < count)
        {
            if (_clock.Elapsed > deadline)
            {
                throw new TimeoutException($"the sink received {Count:N0} of {count:N0} deliveries");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
