using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Storage.Sqlite;

namespace Sluice.EventLog;

/// <summary>
/// The test assembly's entry point, for tests that need consumers in a process they can kill -9:
/// <c>dotnet Sluice.Tests.dll event-log-consumers DATA</c> runs the fast and the slow
/// <see cref="OutputConsumer"/> over DATA's event log until it is killed.
/// </summary>
internal static class ConsumerHostProgram
{
    public const string Command = "event-log-consumers";

    public static int Main(string[] args)
    {
        if (args is not [Command, var directory])
        {
            Console.Error.WriteLine($"usage: dotnet Sluice.Tests.dll {Command} DATA-DIRECTORY");
            return 2;
        }

        var database = new SqliteDatabase(directory, SqliteDurability.Full);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        // Warnings and errors (a lease lost, a consumer failing) go to the console, which the test shows when it fails.
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IEventLog>(new SqliteEventLog(database));
        builder.Services.AddSingleton<IConsumerCursors>(new SqliteConsumerCursors(database));
        builder.Services.AddSingleton<IPartitionLeases>(new SqlitePartitionLeases(database));
        builder.Services.AddEventLog();
        builder.Services.AddEventLogConsumer<FastOutputConsumer>();
        builder.Services.AddEventLogConsumer<SlowOutputConsumer>();
        builder.Build().Run();
        return 0;
    }
}
