using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sluice.Admin;

/// <summary>The Admin API (mapped by <see cref="AdminEndpoints"/>): its tokens; everything else it uses belongs to the features below it.</summary>
internal static class AdminServices
{
    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.TryAddSingleton<AdminTokens>();
        return services;
    }
}
