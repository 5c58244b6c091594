using System.Diagnostics;
using Npgsql;

namespace Sluice.Infrastructure;

/// <summary>
/// A real PostgreSQL server for this test run: Debian's binaries, a throwaway cluster in a temporary
/// folder, reached by a Unix socket in that folder (no service, no password). Started on first use,
/// stopped when the test process exits. Every <see cref="NewDatabase"/> is a fresh, empty database,
/// so tests share the server but never a store.
/// </summary>
internal static class PostgresServer
{
    private static readonly Lazy<Cluster> Started = new(Start);
    private static int _databases;

    private static readonly Dictionary<string, string> ByFolder = new(StringComparer.Ordinal);

    /// <summary>The database that stands for a data folder: made empty on first use, the same one after.</summary>
    public static string DatabaseFor(string dataDirectory)
    {
        var folder = Path.GetFullPath(dataDirectory);
        lock (ByFolder)
        {
            if (!ByFolder.TryGetValue(folder, out var connection))
            {
                ByFolder[folder] = connection = NewDatabase();
            }

            return connection;
        }
    }

    /// <summary>Creates an empty database; returns its connection string.</summary>
    public static string NewDatabase()
    {
        var cluster = Started.Value;
        var name = $"sluice_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        using (var connection = new NpgsqlConnection(cluster.ConnectionString("postgres")))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }

        return cluster.ConnectionString(name);
    }

    private static Cluster Start()
    {
        var bin = FindBinaries();
        var directory = TestPaths.NewTemporaryDirectory();
        var data = Path.Combine(directory, "pg");
        Directory.CreateDirectory(data);
        // initdb refuses to run as root: a root test run hands the folder to the postgres user and runs as it.
        var asUser = Environment.UserName == "root" ? "postgres" : null;
        if (asUser is not null)
        {
            Run("chown", ["-R", asUser, directory], null);
        }

        var port = FreePort.Next();
        Run(Path.Combine(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "sluice", "--no-sync", "-E", "UTF8"], asUser);
        // Durability settings stay as shipped except fsync: tests kill Sluice, never the machine.
        Run(Path.Combine(bin, "pg_ctl"), ["-D", data, "-o", $"-p {port} -k {data} -c listen_addresses='' -c fsync=off -c max_connections=1000", "-l", Path.Combine(directory, "log"), "-w", "start"], asUser);
        // The test host is killed at the end of a run, its exit handlers unrun, and its run folder (this
        // cluster's data with it) is swept: a watchdog, orphaned at once (the shell that starts it exits) so
        // that it is no child of the host, stops the server by its process id once this process is gone.
        var postmaster = int.Parse(File.ReadLines(Path.Combine(data, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        var watchdog = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 2; done; kill -QUIT {postmaster}";
        using (var detach = Process.Start(new ProcessStartInfo("setsid", ["sh", "-c", $"({watchdog}) >/dev/null 2>&1 </dev/null &"]) { RedirectStandardOutput = true, RedirectStandardError = true }))
        {
            detach?.WaitForExit();
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Run(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"], asUser);
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception)
            {
                // A cluster left behind is in a temporary folder; nothing else depends on it.
            }
        };
        return new Cluster(data, port);
    }

    /// <summary>Debian's newest installed PostgreSQL (/usr/lib/postgresql/N/bin), or the one on PATH.</summary>
    private static string FindBinaries()
    {
        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        return debian
            ?? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL's server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql (.ci/run does)");
    }

    private static void Run(string file, IReadOnlyList<string> arguments, string? asUser)
    {
        var start = asUser is null ? new ProcessStartInfo(file) : new ProcessStartInfo("runuser", ["-u", asUser, "--", file]);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {error} {output.Result}");
        }
    }

    private sealed record Cluster(string Socket, int Port)
    {
        public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder { Host = Socket, Port = Port, Username = "sluice", Database = database, Pooling = true }.ToString();
    }
}
