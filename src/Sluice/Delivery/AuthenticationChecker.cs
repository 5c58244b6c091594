using System.Security.Cryptography;
using System.Text;
using Sluice.Observability;
using Sluice.Routing;
using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>
/// Tests each destination's credentials with its service (the definition's test-authentication
/// request) when the destination is new or its settings changed since the last check, so that a
/// wrong key shows up at start-up rather than as a wall of failed deliveries. The answer is
/// logged and kept; deliveries are not held back by it.
/// </summary>
internal sealed partial class AuthenticationChecker(
    RoutingTable table,
    IWorkspaceStore store,
    DestinationHttp http,
    TimeProvider time,
    ILogger<AuthenticationChecker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        foreach (var destination in table.All.Where(d => d.Enabled && d.Definition.TestAuthentication is not null))
        {
            try
            {
                await CheckAsync(destination, force: false, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogCheckCrashed(exception, destination.Id);
            }
        }
    }

    /// <summary>Checks unless the same settings were checked before (or <paramref name="force"/>); returns the check on record.</summary>
    public async Task<AuthenticationCheck?> CheckAsync(RoutedDestination destination, bool force, CancellationToken cancellation)
    {
        if (destination.Definition.TestAuthentication is not { } test)
        {
            return null;
        }

        var fingerprint = Fingerprint(destination);
        if (!force && store.ReadAuthenticationCheck(destination.Id) is { } previous && previous.Fingerprint == fingerprint)
        {
            return previous;
        }

        var answer = await http.SendAsync(test(destination.Settings), cancellation);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        AuthenticationCheck check;
        if (answer.Succeeded)
        {
            var note = destination.Definition.DescribeAuthentication?.Invoke(answer.Body ?? "");
            check = new AuthenticationCheck(destination.Id, fingerprint, true, note is null ? "Credentials are valid" : $"Credentials are valid; {note}", now);
            LogValid(destination.Id, destination.Definition.Name, check.Message);
        }
        else if (answer.Status is null || answer.CanRetry)
        {
            // Unreachable or unwell: nothing is known about the credentials, so the next start asks again.
            check = new AuthenticationCheck(destination.Id, null, null, $"Could not check the credentials: {answer.Summary}", now);
            LogUnknown(destination.Id, destination.Definition.Name, check.Message);
        }
        else
        {
            check = new AuthenticationCheck(destination.Id, fingerprint, false, $"Credentials are invalid: {answer.Summary}", now);
            LogInvalid(destination.Id, destination.Definition.Name, check.Message);
        }

        store.RecordAuthenticationCheck(check);
        return check;
    }

    /// <summary>Of the settings as configured; a stored check with another fingerprint is about settings that changed since.</summary>
    public static string Fingerprint(RoutedDestination destination) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(destination.Definition.Slug + "\n" + destination.Settings.ToJsonString())));

    [LoggerMessage(EventId = EventIds.AuthenticationValid, Level = LogLevel.Information, Message = "Destination {DestinationId} ({Name}): {Result}")]
    private partial void LogValid(string destinationId, string name, string result);

    [LoggerMessage(EventId = EventIds.AuthenticationInvalid, Level = LogLevel.Warning, Message = "Destination {DestinationId} ({Name}): {Result}; its deliveries will fail until the settings are fixed")]
    private partial void LogInvalid(string destinationId, string name, string result);

    [LoggerMessage(EventId = EventIds.AuthenticationUnknown, Level = LogLevel.Warning, Message = "Destination {DestinationId} ({Name}): {Result}; checking again at the next start")]
    private partial void LogUnknown(string destinationId, string name, string result);

    [LoggerMessage(EventId = EventIds.AuthenticationCrashed, Level = LogLevel.Error, Message = "Checking the credentials of destination {DestinationId} failed")]
    private partial void LogCheckCrashed(Exception exception, string destinationId);
}
