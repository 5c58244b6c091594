using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.DataProtection;
using Prometheus;
using Sluice.Admin;
using Sluice.Debugger;
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
internal static class SluiceServer
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
        var metrics = new SluiceMetrics();
        var applied = WorkspaceBootstrap.Apply(workspace, options.AdminToken, new SqliteWorkspaceStore(database), time);

        services.AddSingleton(options);
        services.AddSingleton(time);
        services.AddSingleton(metrics);
        // Order matters for what starts first: the store, the workspace, the log's leases, then the
        // log's consumers and the stages that send.
        services.AddSqliteStore(database);
        services.AddWorkspace(workspace, applied, options.Destinations, Path.Combine(options.DataDirectory, "keys"));
        services.AddEventLog();
        services.AddIngest(options.Ingest);
        services.AddTrackingApi(options.TrustedProxies);
        services.AddRouting(workspace);
        services.AddDelivery(options.Delivery);
        services.AddLiveDebugger();
        services.AddAdminApi();
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
