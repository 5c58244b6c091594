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
        // Computed traits and audiences: the file's, and those made through the Admin API, on every node.
        services.AddSingleton(sp => new Engage.Engagement(
            new Engage.Definitions.EngageDefinitionsSource(workspace.Engage ?? Engage.Definitions.EngageDefinitions.None, readsStore: true, sp.GetRequiredService<ILogger<Engage.Definitions.EngageDefinitionsSource>>()),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Engage.Definitions.EngageDefinitionsEditor>();
        services.AddSingleton<Engage.Computation.EngagePreview>();
        services.AddHostedService<Engage.Computation.EngageSweeper>();
        services.AddHostedService<Engage.Computation.EngageBackfill>();
        services.AddHostedService<Engage.Activation.EngageSync>();

        services.AddEventLogConsumer<ProfilesConsumer>();
        services.AddSingleton<Recompute.ProfileUnmerge>();
        services.AddSingleton<Recompute.IdentitySettingsChange>();
        return services;
    }
}
