namespace Sluice.Infrastructure;

internal static class TestPaths
{
    /// <summary>The repository root: the first parent of the test binaries that holds Sluice.slnx.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The sluice executable built with this test run (same configuration).</summary>
    public static string SluiceDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            var path = Path.Combine(RepositoryRoot, "src", "Sluice", "bin", configuration, "net10.0", "sluice.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("Build src/Sluice first.", path);
        }
    }

    /// <summary>This test run's folder: removed when the run ends.</summary>
    private static readonly string RunDirectory = CreateRunDirectory();

    public static string NewTemporaryDirectory()
    {
        var path = Path.Combine(RunDirectory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// A folder for this run's data folders, deleted at exit. A run that was killed leaves its folder: the
    /// next run removes those older than three hours, longer than any run (left behind, they had filled
    /// a machine's disk over many runs).
    /// </summary>
    private static string CreateRunDirectory()
    {
        var all = Path.Combine(Path.GetTempPath(), "sluice-tests");
        if (Directory.Exists(all))
        {
            foreach (var old in new DirectoryInfo(all).EnumerateDirectories().Where(d => d.LastWriteTimeUtc < DateTime.UtcNow.AddHours(-3)))
            {
                DeleteQuietly(old.FullName);
            }
        }

        // Short: PostgreSQL's socket goes in a folder below it, and a socket's path has at most 107 bytes.
        var run = Path.Combine(all, $"run-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(run);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteQuietly(run);
        return run;
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Still in use or not ours: the next run tries again.
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Sluice.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
