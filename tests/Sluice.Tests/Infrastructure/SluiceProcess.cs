using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Sluice.Infrastructure;

/// <summary>
/// A real <c>sluice serve</c> process on a free loopback port, for tests that need process
/// boundaries: crashes (SIGKILL), real clients in other processes.
/// </summary>
internal sealed class SluiceProcess : IAsyncDisposable
{
    public const string AdminToken = "sl_owner_test-token-for-the-suite";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SluiceProcess(Process process, string baseUrl, string dataDirectory)
    {
        _process = process;
        BaseUrl = baseUrl;
        DataDirectory = dataDirectory;
        Admin = new HttpClient { BaseAddress = new Uri(baseUrl) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public string BaseUrl { get; }

    /// <summary>The port listened on: a node started again on it is the same node (it takes its partitions back at once).</summary>
    public int Port => new Uri(BaseUrl).Port;

    /// <summary>Resident memory of the server process now, from /proc (Linux).</summary>
    public long ResidentBytes
    {
        get
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }

    public string DataDirectory { get; }

    /// <summary>An HTTP client with the owner token.</summary>
    public HttpClient Admin { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="postgres">A connection string: the node uses that PostgreSQL store (<c>--store postgres</c>) instead of the data folder's.</param>
    /// <param name="port">The port to listen on (a node restarted where its clients expect it); a free one by default.</param>
    public static async Task<SluiceProcess> StartAsync(string dataDirectory, string? configFile = null, IDictionary<string, string>? environment = null, string? postgres = null, int? port = null)
    {
        // A free port can be taken between FreePort.Next() and the node's bind (another test's server, an
        // outgoing connection's local port): the node then exits, and /health may be answered by whoever
        // holds the port. A port taken is tried again with another, unless the caller asked for that one.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(dataDirectory, configFile, environment, postgres, port ?? FreePort.Next());
            }
            catch (PortTakenException) when (port is null && attempt < 5)
            {
            }
        }
    }

    private static async Task<SluiceProcess> StartOnceAsync(string dataDirectory, string? configFile, IDictionary<string, string>? environment, string? postgres, int port)
    {
        postgres ??= TestStore.Postgres ? PostgresServer.DatabaseFor(dataDirectory) : null;
        var baseUrl = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { TestPaths.SluiceDll, "serve", "--urls", baseUrl, "--data", dataDirectory })
        {
            start.ArgumentList.Add(argument);
        }

        if (postgres is not null)
        {
            foreach (var argument in new[] { "--store", "postgres", "--postgres", postgres })
            {
                start.ArgumentList.Add(argument);
            }
        }

        if (configFile is not null)
        {
            start.ArgumentList.Add("--config");
            start.ArgumentList.Add(configFile);
        }

        start.Environment["SLUICE_ADMIN_TOKEN"] = AdminToken;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var sluice = new SluiceProcess(process, baseUrl, dataDirectory);
        process.OutputDataReceived += (_, line) => sluice.Append(line.Data);
        process.ErrorDataReceived += (_, line) => sluice.Append(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await sluice.WaitUntilHealthyAsync();
        }
        catch
        {
            await sluice.DisposeAsync();
            throw;
        }

        return sluice;
    }

    /// <summary>The write key of a source, read through the debugger's view of the store is not possible, so from the start-up output or the workspace file.</summary>
    public string? PrintedWriteKey(string sourceId)
    {
        var marker = $"Source '{sourceId}' write key: ";
        var output = Output;
        var at = output.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? null : output[(at + marker.Length)..].Split('\n')[0].Trim();
    }

    public async Task<JsonArray> EventsAsync(string sourceId, int limit = 10_000)
    {
        var body = await Admin.GetStringAsync($"/api/v1/sources/{sourceId}/events?limit={limit}");
        return JsonNode.Parse(body)!["events"]!.AsArray();
    }

    /// <summary>SIGSTOP: the process stops where it is, mid-request or mid-commit, until <see cref="Resume"/>.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>SIGTERM, as systemd stops a service, and waits for the process to end: shutdown code runs.</summary>
    public async Task StopAsync()
    {
        Signal("TERM");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Admin.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // Without a timeout it also waits for the output read so far to be handed over.
                _process.WaitForExit();
                throw Output.Contains($"port {Port} is in use", StringComparison.Ordinal)
                    ? new PortTakenException(Output)
                    : new InvalidOperationException($"sluice exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                // Healthy, and this process is the one listening (its own start-up line says so).
                if ((await probe.GetAsync(BaseUrl + "/health")).IsSuccessStatusCode && Output.Contains($"listening on {BaseUrl}", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            catch (System.Net.Sockets.SocketException)
            {
                // A connection made while the server starts listening can fail outside HttpRequestException
                // ("Transport endpoint is not connected" from the socket's address): not up yet, like the others.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"sluice did not become healthy:\n{Output}");
    }
}

/// <summary>The node could not listen on its port: something took it after it was found free.</summary>
internal sealed class PortTakenException(string output) : Exception($"the port was taken:\n{output}");
