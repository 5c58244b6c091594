using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sluice.Debugger;

/// <summary>The live debugger: a tail of the event log, fanned out to whoever watches a source.</summary>
internal static class DebuggerServices
{
    public static IServiceCollection AddLiveDebugger(this IServiceCollection services)
    {
        services.TryAddSingleton<LiveEvents>();
        services.TryAddSingleton<LiveTail>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LiveTail>(sp => sp.GetRequiredService<LiveTail>()));
        return services;
    }
}
