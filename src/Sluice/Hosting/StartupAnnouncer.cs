using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Sluice.Observability;
using Sluice.Workspace;

namespace Sluice.Hosting;

/// <summary>
/// Prints, once the server listens, what a person needs and can see only now: generated write
/// keys, a new owner token, and a curl that sends a first event.
/// </summary>
internal sealed partial class StartupAnnouncer(
    IHostApplicationLifetime lifetime,
    IServer server,
    ServeOptions options,
    WorkspaceBootstrap.Result applied,
    Routing.RoutingTable routing,
    ILogger<StartupAnnouncer> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Announce);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Announce()
    {
        var url = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? options.Urls;
        LogStarted(url, options.Store == StoreKind.Postgres ? "PostgreSQL" : Path.GetFullPath(options.DataDirectory), applied.Sources.Count);
        foreach (var warning in routing.Warnings)
        {
            LogWorkspaceWarning(warning);
        }

        if (applied.NewOwnerToken is null)
        {
            LogWebApp(url);
        }

        if (!options.Announce || (applied.GeneratedWriteKeys.Count == 0 && applied.NewOwnerToken is null))
        {
            return;
        }

        var text = new System.Text.StringBuilder();
        text.AppendLine();
        text.AppendLine("Sluice is ready. This is shown once; keep it somewhere safe.");
        foreach (var source in applied.GeneratedWriteKeys)
        {
            text.AppendLine($"  Source '{source.Id}' write key: {source.WriteKey}");
        }

        if (applied.NewOwnerToken is { } token)
        {
            text.AppendLine($"  Owner admin token:        {token}");
            text.AppendLine();
            text.AppendLine($"Open {url}/ in a browser and sign in with the owner token.");
            text.AppendLine("Lost it later? Restart with SLUICE_ADMIN_TOKEN=sl_owner_<a long random text of your own>: that text is then an owner token.");
        }

        if (applied.GeneratedWriteKeys.FirstOrDefault() is { } first)
        {
            text.AppendLine();
            text.AppendLine("Send a first event:");
            text.AppendLine($"  curl -u '{first.WriteKey}:' -H 'Content-Type: application/json' \\");
            text.AppendLine($"    -d '{{\"userId\":\"user-1\",\"event\":\"Hello Sluice\",\"properties\":{{\"plan\":\"pro\"}}}}' {url}/v1/track");
            if (applied.NewOwnerToken is { } owner)
            {
                text.AppendLine("See it arrive:");
                text.AppendLine($"  curl -H 'Authorization: Bearer {owner}' '{url}/api/v1/sources/{first.Id}/events?limit=10'");
            }
        }

        Console.Out.WriteLine(text.ToString());
        Console.Out.Flush();
    }

    [LoggerMessage(EventId = EventIds.WebAppAt, Level = LogLevel.Information, Message = "Web app at {Url}/ (sign in with an owner token; without one, restart with SLUICE_ADMIN_TOKEN set to a text of your own, which then is one)")]
    private partial void LogWebApp(string url);

    [LoggerMessage(EventId = EventIds.WorkspaceWarning, Level = LogLevel.Warning, Message = "{Warning}")]
    private partial void LogWorkspaceWarning(string warning);

    [LoggerMessage(EventId = EventIds.ServerStarted, Level = LogLevel.Information, Message = "Sluice listening on {Url}; data in {DataDirectory}; {Sources} source(s)")]
    private partial void LogStarted(string url, string dataDirectory, int sources);
}
