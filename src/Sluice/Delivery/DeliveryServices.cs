using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sluice.Delivery;

/// <summary>Delivery: the dispatcher, the HTTP client it sends with, credential checks and the delivery log's pruning.</summary>
internal static class DeliveryServices
{
    public static IServiceCollection AddDelivery(this IServiceCollection services, DeliveryOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton<DestinationHttp>();
        services.TryAddSingleton<Dispatcher>();
        services.TryAddSingleton<Routing.IRoutedSender>(sp => sp.GetRequiredService<Dispatcher>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, Dispatcher>(sp => sp.GetRequiredService<Dispatcher>()));
        services.TryAddSingleton<DeliveryLogPruner>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DeliveryLogPruner>(sp => sp.GetRequiredService<DeliveryLogPruner>()));
        // A hosted service only so that it is made at start-up: it hooks /metrics' scrape.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BacklogMetrics>());
        services.TryAddSingleton<AuthenticationChecker>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AuthenticationChecker>(sp => sp.GetRequiredService<AuthenticationChecker>()));
        // The factory's per-request logging scopes cost more than the request on loopback; the delivery log says what happened.
        // Bodies are read by DestinationHttp up to a cap; the buffer limit is a second line against any buffered read.
        services.AddHttpClient(DestinationHttp.HttpClientName, client => client.MaxResponseContentBufferSize = 64 * 1024)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // With --destination-hosts public every connection is checked, whatever URL or name led to it.
                ConnectCallback = options.Hosts == DestinationHosts.Public ? DestinationTargets.ConnectPublicOnlyAsync : null,
            })
            .RemoveAllLoggers();
        return services;
    }
}
