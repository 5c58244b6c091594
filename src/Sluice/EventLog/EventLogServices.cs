using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sluice.EventLog;

/// <summary>The event log's services: leases, the append signal, and a runner per registered consumer.</summary>
internal static class EventLogServices
{
    /// <summary>
    /// Partition ownership and the append signal. The store backend registers <see cref="IEventLog"/>,
    /// <see cref="IConsumerCursors"/> and <see cref="IPartitionLeases"/>. Call before adding consumers:
    /// hosted services start in order, and the leases must be claimed before the first consumer reads.
    /// </summary>
    public static IServiceCollection AddEventLog(this IServiceCollection services)
    {
        services.TryAddSingleton(new EventLogOptions());
        services.TryAddSingleton<LogAppended>();
        services.TryAddSingleton<ForegroundBacklog>();
        services.TryAddSingleton<PartitionOwnership>();
        services.AddHostedService(sp => sp.GetRequiredService<PartitionOwnership>());
        services.TryAddSingleton<IRetentionSettings, NoRetentionSettings>();
        services.TryAddSingleton<LogRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<LogRetention>());
        return services;
    }

    /// <summary>The log's gauges on /metrics (partitions held, nodes alive, consumer lag); needs <see cref="Observability.SluiceMetrics"/>.</summary>
    public static IServiceCollection AddEventLogMetrics(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EventLogMetrics>());
        return services;
    }

    /// <summary>Registers a consumer: its cursors are created on first start, and a runner feeds it the partitions this node holds.</summary>
    public static IServiceCollection AddEventLogConsumer<TConsumer>(this IServiceCollection services)
        where TConsumer : class, IEventLogConsumer
    {
        services.TryAddSingleton<TConsumer>();
        services.AddSingleton<IEventLogConsumer>(sp => sp.GetRequiredService<TConsumer>());
        services.AddKeyedSingleton(typeof(TConsumer), (sp, _) => ActivatorUtilities.CreateInstance<ConsumerRunner>(sp, sp.GetRequiredService<TConsumer>()));
        // Not AddHostedService: it registers with TryAddEnumerable, which keeps one ConsumerRunner and drops every other consumer's.
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredKeyedService<ConsumerRunner>(typeof(TConsumer)));
        return services;
    }

    /// <summary>The runner of a registered consumer (tests and the replay command drive it directly).</summary>
    public static ConsumerRunner RunnerOf<TConsumer>(this IServiceProvider services)
        where TConsumer : class, IEventLogConsumer => services.GetRequiredKeyedService<ConsumerRunner>(typeof(TConsumer));
}
