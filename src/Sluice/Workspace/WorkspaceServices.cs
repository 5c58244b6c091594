using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Destinations;
using Sluice.Observability;

namespace Sluice.Workspace;

/// <summary>The workspace: sources, destinations in force, the Admin API's changes to them, and the path by which changes reach every cache.</summary>
internal static class WorkspaceServices
{
    /// <param name="file">The workspace file, if the server was given one.</param>
    /// <param name="applied">What the first start and the file wrote to the store (<see cref="WorkspaceBootstrap"/>).</param>
    /// <param name="keepKeys">Where the keys that encrypt API destinations' secret settings are kept: next to the data, or in the shared store.</param>
    public static IServiceCollection AddWorkspace(this IServiceCollection services, WorkspaceDefinition? file, WorkspaceBootstrap.Result applied, DestinationCatalog catalog, Action<IDataProtectionBuilder> keepKeys)
    {
        services.TryAddSingleton(catalog);
        services.TryAddSingleton(applied);
        services.TryAddSingleton(new DeclaredWorkspace(file));
        services.TryAddSingleton(new DestinationsInForce(file?.Destinations ?? []));
        services.TryAddSingleton(sp => new SourceRegistry(applied.Sources, sp.GetRequiredService<SluiceMetrics>(), sp.GetRequiredService<TimeProvider>()));
        // Secret settings of destinations made through the Admin API are encrypted.
        keepKeys(services.AddDataProtection().SetApplicationName("sluice"));
        services.TryAddSingleton<ApiDestinations>();
        services.TryAddSingleton<ApiSources>();
        services.TryAddSingleton<SuppressedSubjects>();
        services.TryAddSingleton<RetentionSettingsSource>();
        services.TryAddSingleton<EventLog.IRetentionSettings>(sp => sp.GetRequiredService<RetentionSettingsSource>());
        services.TryAddSingleton<WorkspaceChanges>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WorkspaceChanges>(sp => sp.GetRequiredService<WorkspaceChanges>()));
        return services;
    }
}
