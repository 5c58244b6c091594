using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Destinations;
using Sluice.EventLog;
using Sluice.Storage;
using Sluice.Workspace;

namespace Sluice.Routing;

/// <summary>Routing: the table compiled from the destinations in force, and the router, the event log's first consumer.</summary>
internal static class RoutingServices
{
    public static IServiceCollection AddRouting(this IServiceCollection services, WorkspaceDefinition? file)
    {
        services.TryAddSingleton(sp => new RoutingTable(sp.GetRequiredService<DestinationsInForce>(), file, sp.GetRequiredService<DestinationCatalog>()));
        services.TryAddSingleton<RoutingDecisions>();
        services.TryAddSingleton<DeliveriesWaiting>();
        services.AddEventLogConsumer<Router>();
        return services;
    }
}
