using Sluice.EventLog;
using Sluice.Profiles.Store;
using Sluice.Storage.Postgres;
using Sluice.Storage.Sqlite;
using Sluice.Workspace;

namespace Sluice.Profiles;

/// <summary>Profiles: the profiles consumer of the event log, when the workspace file has an <c>identity:</c> section; the store on the node's database.</summary>
internal static class ProfilesServices
{
    public static IServiceCollection AddProfiles(this IServiceCollection services, WorkspaceDefinition? workspace)
    {
        services.AddSingleton<IProfileStore>(sp => sp.GetService<PostgresDatabase>() is { } postgres
            ? new PostgresProfileStore(postgres)
            : new SqliteProfileStore(sp.GetRequiredService<SqliteDatabase>()));
        if (workspace?.Identity is not { } settings)
        {
            return services;
        }

        services.AddSingleton(new IdentitySettingsSource(settings, workspace.IdentitySetInFile));
        services.AddEventLogConsumer<ProfilesConsumer>();
        services.AddSingleton<Recompute.ProfileUnmerge>();
        services.AddSingleton<Recompute.IdentitySettingsChange>();
        return services;
    }
}
