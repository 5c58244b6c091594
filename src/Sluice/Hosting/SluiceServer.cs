using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Prometheus;
using Sluice.Admin;
using Sluice.Debugger;
using Sluice.Delivery;
using Sluice.Engage;
using Sluice.EventLog;
using Sluice.Ingest;
using Sluice.Observability;
using Sluice.Privacy;
using Sluice.Profiles;
using Sluice.Routing;
using Sluice.Storage;
using Sluice.Storage.Postgres;
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
        // No reloading of appsettings.json (Sluice has none): its watcher covers the working directory and
        // everything under it, the data directory too by default, and woke on every write of the store.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
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
        var metrics = new SluiceMetrics();
        // Order matters for what starts first: the store, the workspace, the log's leases, then the
        // log's consumers and the stages that send.
        Action<IDataProtectionBuilder> keepKeys;
        IWorkspaceStore workspaceStore;
        if (options.Store == StoreKind.Postgres)
        {
            var database = new PostgresDatabase(options.PostgresConnection ?? throw new ValidationException("--store postgres needs a connection string: --postgres or SLUICE_POSTGRES"));
            services.AddPostgresStore(database);
            workspaceStore = new PostgresWorkspaceStore(database);
            // Every node must read the settings any node encrypted: the keys live in the shared store.
            keepKeys = keys => keys.Services.Configure<KeyManagementOptions>(o => o.XmlRepository = new PostgresKeyRepository(database));
        }
        else
        {
            var database = new SqliteDatabase(options.DataDirectory, options.Durability);
            services.AddSqliteStore(database);
            workspaceStore = new SqliteWorkspaceStore(database);
            var keysFolder = database.PrivateFolder("keys");
            keepKeys = keys => keys.PersistKeysToFileSystem(keysFolder);
        }

        var applied = WorkspaceBootstrap.Apply(workspace, options.AdminToken, workspaceStore, time);
        services.AddSingleton(options);
        // An embedded store has one process: it takes every lease at start. Several nodes share a PostgreSQL store's and take their share.
        services.AddSingleton(options.EventLog with { TakeOverAtStart = options.Store == StoreKind.Sqlite, NodeName = NodeName(options.Urls) });
        services.AddSingleton(time);
        services.AddSingleton(metrics);
        services.AddWorkspace(workspace, applied, options.Destinations, keepKeys);
        services.AddEventLog();
        services.AddEventLogMetrics();
        services.AddIngest(options.Ingest);
        services.AddTrackingApi(options.TrustedProxies);
        services.AddRouting(workspace);
        services.AddProfiles(workspace);
        services.AddEngage(workspace);
        services.AddPrivacy();
        services.AddDelivery(options.Delivery);
        services.AddLiveDebugger();
        services.AddAdminApi();
        services.AddHostedService<StartupAnnouncer>();

        var app = builder.Build();
        var lifetime = app.Lifetime;
        // Made by the container's factory, so the container disposes the PostgreSQL store's connections with it.
        app.Services.GetService<PostgresDatabase>();
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

    /// <summary>
    /// The host and the first port listened on: two processes cannot listen on one port, so one process at a
    /// time is this node. Without a fixed port (":0"), a name of its own: no later process is this node again.
    /// </summary>
    private static string NodeName(string urls)
    {
        var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries)[0].Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal);
        var port = Uri.TryCreate(first, UriKind.Absolute, out var uri) ? uri.Port : 0;
        return port > 0 ? $"{Environment.MachineName}:{port}" : $"{Environment.MachineName}:{Guid.NewGuid():N}";
    }
}
