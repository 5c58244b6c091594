using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Client;

/// <summary>Registers one <see cref="SluiceClient"/> for the application; the container disposes it (and so flushes it) on shutdown.</summary>
public static class ServiceCollectionExtensions
{
    public static IServiceCollection AddSluiceClient(this IServiceCollection services, SluiceClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(sp => new SluiceClient(options, sp.GetService<ILogger<SluiceClient>>()));
        return services;
    }

    /// <summary>With options built from the container (configuration, secrets).</summary>
    public static IServiceCollection AddSluiceClient(this IServiceCollection services, Func<IServiceProvider, SluiceClientOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(sp => new SluiceClient(options(sp), sp.GetService<ILogger<SluiceClient>>()));
        return services;
    }
}
