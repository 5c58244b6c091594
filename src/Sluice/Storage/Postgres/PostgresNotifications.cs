using Npgsql;
using Sluice.EventLog;

namespace Sluice.Storage.Postgres;

/// <summary>
/// Listens on the store's channels on a connection of its own: <c>sluice_workspace</c> (sent by the
/// workspace tables' triggers at commit) wakes the workspace refresh, <c>sluice_log</c> (sent by
/// <see cref="PostgresEventLog"/> after its commits, at most every 20 ms per node) wakes this node's
/// log readers. Hints only: a lost connection is opened again, and the readers poll meanwhile.
/// </summary>
internal sealed partial class PostgresNotifications(
    PostgresDatabase database,
    StoreNotifications notifications,
    LogAppended appended,
    ILogger<PostgresNotifications> logger) : BackgroundService
{
    public const string WorkspaceChannel = "sluice_workspace";
    public const string LogChannel = "sluice_log";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.SessionDataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, notification) =>
                {
                    if (notification.Channel == WorkspaceChannel)
                    {
                        notifications.WorkspaceChanged.Set();
                    }
                    else
                    {
                        appended.Notify();
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {WorkspaceChannel}; LISTEN {LogChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogListenFailed(exception);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = Observability.EventIds.StoreListenFailed, Level = LogLevel.Warning, Message = "Listening for other nodes' changes failed; polling meanwhile, listening again in a second")]
    private partial void LogListenFailed(Exception exception);
}
