using Sluice.EventLog;
using Sluice.Profiles.Store;
using Sluice.Storage.Postgres;
using Sluice.Storage.Sqlite;
using Sluice.Workspace;

namespace Sluice.Profiles;

/// <summary>Profiles: the profiles consumer of the event log, when the workspace file has an <c>identity:</c> section; the store on the node's database.</summary>
internal static class ProfilesServices
{
    public static IServiceCollection AddProfiles(this IServiceCollection services, IdentitySettings? settings)
    {
        services.AddSingleton<IProfileStore>(sp => sp.GetService<PostgresDatabase>() is { } postgres
            ? new PostgresProfileStore(postgres)
            : new SqliteProfileStore(sp.GetRequiredService<SqliteDatabase>()));
        if (settings is null)
        {
            return services;
        }

        services.AddSingleton(settings);
        services.AddEventLogConsumer<ProfilesConsumer>();
        services.AddSingleton<Unmerge.ProfileUnmerge>();
        return services;
    }
}
