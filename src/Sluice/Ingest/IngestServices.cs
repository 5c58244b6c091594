using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sluice.Ingest;

/// <summary>The group-commit writer in front of the event log.</summary>
internal static class IngestServices
{
    public static IServiceCollection AddIngest(this IServiceCollection services, IngestOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton<IngestWriter>();
        return services;
    }
}
