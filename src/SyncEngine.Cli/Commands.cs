using System.CommandLine;
using SyncEngine.Cli.Apps;

namespace SyncEngine.Cli;

/// <summary>The command tree (docs/operations.md lists every command).</summary>
public static class Commands
{
    public static RootCommand Root()
    {
        var root = new RootCommand("Manage a SyncEngine deployment through its admin API: apps, their usage and settings.");
        foreach (var option in Connection.Options)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(AppsCommands.Apps());
        return root;
    }
}
