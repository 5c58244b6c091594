namespace Sluice.Infrastructure;

/// <summary>A workspace file and a data directory in a fresh temporary folder, for tests that run <c>sluice serve</c> as a process.</summary>
internal sealed record TestWorkspace(string ConfigFile, string DataDirectory)
{
    public static async Task<TestWorkspace> CreateAsync(string yaml)
    {
        var directory = TestPaths.NewTemporaryDirectory();
        var workspace = new TestWorkspace(Path.Combine(directory, "sluice.yaml"), Path.Combine(directory, "data"));
        await workspace.RewriteAsync(yaml);
        return workspace;
    }

    public Task RewriteAsync(string yaml) => File.WriteAllTextAsync(ConfigFile, yaml);

    public Task<SluiceProcess> StartAsync() => SluiceProcess.StartAsync(DataDirectory, ConfigFile);
}
