using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.DataProtection;
using Prometheus;
using Sluice.Admin;
using Sluice.Delivery;
using Sluice.EventLog;
using Sluice.Routing;
using Sluice.Ingest;
using Sluice.Observability;
using Sluice.Storage;
using Sluice.Storage.Sqlite;
using Sluice.Tracking;
using Sluice.WebApp;
using Sluice.Workspace;

namespace Sluice.Hosting;

/// <summary>Builds the ASP.NET Core host: one place that wires every feature, used by <c>sluice serve</c> and by tests.</summary>
public static class SluiceServer
{
    /// <summary>Loads the workspace, opens the store and builds the app. A bad workspace file throws <see cref="WorkspaceFileException"/>.</summary>
    public static WebApplication Build(ServeOptions options, TimeProvider? time = null, Action<ILoggingBuilder>? logging = null)
    {
        Validator.ValidateObject(options.Ingest, new ValidationContext(options.Ingest), validateAllProperties: true);
        var workspace = options.ConfigFile is { } file ? WorkspaceFileLoader.Load(file, catalog: options.Destinations) : null;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.Logging.ClearProviders();
        if (options.JsonLogs)
        {
            builder.Logging.AddJsonConsole(console =>
            {
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                console.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                console.UseUtcTimestamp = true;
            });
        }

        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Its first-start warning that keys are stored unencrypted is by design (docs/configuration.md, the data directory).
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        logging?.Invoke(builder.Logging);

        var services = builder.Services;
        time ??= TimeProvider.System;
        var database = new SqliteDatabase(options.DataDirectory, options.Durability);
        var workspaceStore = new SqliteWorkspaceStore(database);
        var metrics = new SluiceMetrics();
        var applied = WorkspaceBootstrap.Apply(workspace, options.AdminToken, workspaceStore, time);

        services.AddSingleton(options);
        services.AddSingleton(options.Ingest);
        services.AddSingleton(time);
        services.AddSingleton(metrics);
        services.AddSingleton(database);
        services.AddSingleton(applied);
        services.AddSingleton<IWorkspaceStore>(workspaceStore);
        services.AddSingleton<IEventLog>(_ => new SqliteEventLog(database));
        services.AddSingleton<IConsumerCursors>(new SqliteConsumerCursors(database));
        services.AddSingleton<IPartitionLeases>(new SqlitePartitionLeases(database));
        services.AddEventLog();
        services.AddSingleton(new SourceRegistry(applied.Sources, metrics, time));
        services.AddSingleton<AdminTokens>();
        services.AddSingleton(new ClientAddressResolver(options.TrustedProxies));
        services.AddSingleton<IngestWriter>();
        services.AddSingleton<TrackingHandler>();
        services.AddSingleton(options.Destinations);
        services.AddSingleton(new RoutingTable(workspace, options.Destinations));
        services.AddSingleton(new DeclaredWorkspace(workspace));
        // Secret settings of destinations made through the Admin API are encrypted with keys kept next to the data.
        services.AddDataProtection()
            .SetApplicationName("sluice")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.DataDirectory, "keys")));
        services.AddSingleton<ApiDestinations>();
        services.AddSingleton<ApiSources>();
        services.AddSingleton<Debugger.LiveEvents>();
        services.AddSingleton<Debugger.LiveTail>();
        services.AddHostedService(sp => sp.GetRequiredService<Debugger.LiveTail>());
        services.AddSingleton(options.Delivery);
        services.AddSingleton<IDeliveryStore>(new SqliteDeliveryStore(database));
        services.AddSingleton<DeliveriesWaiting>();
        services.AddSingleton<RoutingDecisions>();
        services.AddEventLogConsumer<Router>();
        services.AddSingleton<DestinationHttp>();
        services.AddSingleton<Dispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<Dispatcher>());
        services.AddSingleton<DeliveryLogPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryLogPruner>());
        // The factory's per-request logging scopes cost more than the request on loopback; the delivery log says what happened.
        // Bodies are read by DestinationHttp up to a cap; the buffer limit is a second line against any buffered read.
        services.AddHttpClient(DestinationHttp.HttpClientName, client => client.MaxResponseContentBufferSize = 64 * 1024)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // With --destination-hosts public every connection is checked, whatever URL or name led to it.
                ConnectCallback = options.Delivery.Hosts == DestinationHosts.Public ? DestinationTargets.ConnectPublicOnlyAsync : null,
            })
            .RemoveAllLoggers();
        services.AddSingleton<AuthenticationChecker>();
        services.AddHostedService(sp => sp.GetRequiredService<AuthenticationChecker>());
        services.AddHostedService<StartupAnnouncer>();

        var app = builder.Build();
        var lifetime = app.Lifetime;
        // Destinations made through the Admin API join the routing table before the first event is routed.
        app.Services.GetRequiredService<ApiDestinations>();
        // Stopping the writer first commits what is queued, so that in-flight requests still get their answer.
        lifetime.ApplicationStopped.Register(() => app.Services.GetRequiredService<IngestWriter>().Dispose());

        app.UseMiddleware<ClientConnectionErrors>();
        app.MapGet("/health", (IngestWriter writer) => writer.CheckStore() is { } problem
            ? Results.Json(new { status = "unavailable", reason = $"the store cannot commit: {problem}" }, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new { status = "ok" }));
        // The backlog is the store's, not this process's: read when scraped, so every node reports the same.
        var deliveryStore = app.Services.GetRequiredService<IDeliveryStore>();
        var routingTable = app.Services.GetRequiredService<RoutingTable>();
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var waiting = deliveryStore.Waiting().ToDictionary(w => w.DestinationId);
            foreach (var id in routingTable.All.Select(d => d.Id).Union(waiting.Keys))
            {
                var (count, oldest) = waiting.TryGetValue(id, out var w) ? (w.Count, (now - w.OldestCreatedAt) / 1000.0) : (0, 0);
                metrics.Backlog.WithLabels(id).Set(count);
                metrics.OldestWaitingSeconds.WithLabels(id).Set(Math.Max(0, oldest));
            }
        });
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapTrackingApi();
        Browser.SettingsEndpoint.MapBrowserSettings(app);
        Browser.LibraryEndpoints.MapBrowserLibrary(app);
        app.MapAdminApi();
        app.MapAdminApiDocument();
        app.MapWebApp();
        return app;
    }
}
