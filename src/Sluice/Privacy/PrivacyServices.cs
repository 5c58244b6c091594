using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Privacy.Erasure;
using Sluice.Privacy.Store;

namespace Sluice.Privacy;

/// <summary>Privacy regulations: their store, the work they start on every node, and the service the Admin API makes them with.</summary>
internal static class PrivacyServices
{
    public static IServiceCollection AddPrivacy(this IServiceCollection services)
    {
        services.TryAddSingleton<RegulationStore>();
        services.TryAddSingleton<StoreErasure>();
        services.TryAddSingleton<DestinationDeletions>();
        services.TryAddSingleton<PrivacyWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<PrivacyWorker>());
        services.TryAddSingleton<Regulations>();
        return services;
    }
}
