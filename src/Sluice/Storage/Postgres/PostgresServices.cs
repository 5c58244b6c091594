using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.EventLog;

namespace Sluice.Storage.Postgres;

/// <summary>The shared store: every store interface on one PostgreSQL database, for one node or several.</summary>
internal static class PostgresServices
{
    public static IServiceCollection AddPostgresStore(this IServiceCollection services, PostgresDatabase database)
    {
        // From a factory, so that the container disposes it (and its connections) when the host stops.
        services.TryAddSingleton(_ => database);
        services.TryAddSingleton<IWorkspaceStore>(new PostgresWorkspaceStore(database));
        services.TryAddSingleton<IEventLog>(_ => new PostgresEventLog(database));
        services.TryAddSingleton<IConsumerCursors>(new PostgresConsumerCursors(database));
        services.TryAddSingleton<IPartitionLeases>(new PostgresPartitionLeases(database));
        services.TryAddSingleton<IDeliveryStore>(new PostgresDeliveryStore(database));
        services.TryAddSingleton<IDestinationState>(new PostgresDestinationState(database));
        services.TryAddSingleton<StoreNotifications>();
        services.AddHostedService<PostgresNotifications>();
        return services;
    }
}
