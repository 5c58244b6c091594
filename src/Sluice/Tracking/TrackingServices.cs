using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sluice.Tracking;

/// <summary>The Tracking API: the Segment-compatible endpoints that accept calls (mapped by <see cref="TrackingEndpoints"/>).</summary>
internal static class TrackingServices
{
    /// <param name="trustedProxies">Proxies whose X-Forwarded-For is believed for a client's address.</param>
    public static IServiceCollection AddTrackingApi(this IServiceCollection services, IReadOnlyList<IPAddress> trustedProxies)
    {
        services.TryAddSingleton(new ClientAddressResolver(trustedProxies));
        services.TryAddSingleton<TrackingHandler>();
        return services;
    }
}
