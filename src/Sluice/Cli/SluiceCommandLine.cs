using System.CommandLine;

namespace Sluice.Cli;

/// <summary>The <c>sluice</c> command and its verbs.</summary>
internal static class SluiceCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Sluice: a self-hosted, Segment-compatible customer data platform.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        foreach (var call in Calls.CallCommands.Create())
        {
            root.Subcommands.Add(call);
        }

        root.Subcommands.Add(Calls.ApiCommand.Create());
        root.Subcommands.Add(Calls.ImportCommand.Create());
        return root;
    }
}
