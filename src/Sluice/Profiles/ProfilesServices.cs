using Sluice.EventLog;
using Sluice.Profiles.Identity;

namespace Sluice.Profiles;

/// <summary>Profiles: the profiles consumer of the event log, when the workspace file has an <c>identity:</c> section.</summary>
internal static class ProfilesServices
{
    public static IServiceCollection AddProfiles(this IServiceCollection services, IdentitySettings? settings)
    {
        if (settings is null)
        {
            return services;
        }

        services.AddSingleton(settings);
        services.AddEventLogConsumer<ProfilesConsumer>();
        return services;
    }
}
