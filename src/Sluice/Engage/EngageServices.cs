using Sluice.Engage.Definitions;
using Sluice.Profiles;
using Sluice.Workspace;

namespace Sluice.Engage;

/// <summary>
/// Engage, when profiles are on: the computed traits and audiences of the workspace file and of the
/// Admin API, computed in every profiles step (<see cref="IProfileStepPart"/>), swept when due, computed
/// over the past, and synced to their destinations.
/// </summary>
internal static class EngageServices
{
    public static IServiceCollection AddEngage(this IServiceCollection services, WorkspaceDefinition? workspace)
    {
        if (workspace?.Identity is null)
        {
            return services;
        }

        services.AddSingleton(sp => new Engagement(
            new EngageDefinitionsSource(workspace.Engage ?? EngageDefinitions.None, readsStore: true, sp.GetRequiredService<ILogger<EngageDefinitionsSource>>()),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IProfileStepPart>(sp => sp.GetRequiredService<Engagement>());
        services.AddSingleton<EngageDefinitionsEditor>();
        services.AddSingleton<Computation.EngagePreview>();
        services.AddHostedService<Computation.EngageSweeper>();
        services.AddHostedService<Computation.EngageBackfill>();
        services.AddHostedService<Activation.EngageSync>();
        return services;
    }
}
