using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.EventLog;

namespace Sluice.Storage.Sqlite;

/// <summary>The embedded store: every store interface on one SQLite file.</summary>
internal static class SqliteServices
{
    public static IServiceCollection AddSqliteStore(this IServiceCollection services, SqliteDatabase database)
    {
        services.TryAddSingleton(database);
        services.TryAddSingleton<IWorkspaceStore>(new SqliteWorkspaceStore(database));
        services.TryAddSingleton<IEventLog>(_ => new SqliteEventLog(database));
        services.TryAddSingleton<IConsumerCursors>(new SqliteConsumerCursors(database));
        services.TryAddSingleton<IPartitionLeases>(new SqlitePartitionLeases(database));
        services.TryAddSingleton<IDeliveryStore>(_ => new SqliteDeliveryStore(database));
        services.TryAddSingleton<IDestinationState>(new SqliteDestinationState(database));
        services.TryAddSingleton<StoreNotifications>();
        return services;
    }
}
