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

    public static string NewTemporaryDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "sluice-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
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
