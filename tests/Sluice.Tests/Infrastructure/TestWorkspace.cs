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

    /// <summary>Source <c>web</c> with <paramref name="writeKey"/>, feeding webhook <paramref name="destinationId"/> that POSTs every track call (the whole event) to <paramref name="url"/>.</summary>
    public static Task<TestWorkspace> WithTrackWebhookAsync(string writeKey, string destinationId, string url) => CreateAsync(TrackWebhookYaml(writeKey, destinationId, url));

    /// <summary>The workspace of <see cref="WithTrackWebhookAsync"/>, as YAML, for servers hosted in the test process.</summary>
    public static string TrackWebhookYaml(string writeKey, string destinationId, string url) => $$"""
        sources:
          - {id: web, writeKey: {{writeKey}}}
        destinations:
          - id: {{destinationId}}
            type: webhook
            sources: [web]
            mappings:
              - name: All
                action: send
                trigger: 'type = "track"'
                mapping:
                  url: '{{url}}'
                  method: POST
                  data: {'@path': '$.'}
        """;

    public Task RewriteAsync(string yaml) => File.WriteAllTextAsync(ConfigFile, yaml);

    /// <param name="port">The port of a node started again where it was; a free one by default.</param>
    public Task<SluiceProcess> StartAsync(int? port = null) => SluiceProcess.StartAsync(DataDirectory, ConfigFile, port: port);

    /// <summary>A node of a cluster on the PostgreSQL store at <paramref name="postgres"/>, with this workspace file.</summary>
    public Task<SluiceProcess> StartNodeAsync(string postgres, int? port = null, IDictionary<string, string>? environment = null) =>
        SluiceProcess.StartAsync(DataDirectory, ConfigFile, environment, postgres, port);
}
