using System.CommandLine;
using SyncEngine.Cli.Apps;
using SyncEngine.Cli.Clients;
using SyncEngine.Cli.Keys;
using SyncEngine.Cli.Workspaces;

namespace SyncEngine.Cli;

/// <summary>The command tree (docs/operations.md lists every command).</summary>
public static class Commands
{
    public static RootCommand Root()
    {
        var root = new RootCommand("Manage a SyncEngine deployment through its admin API: apps and their settings, signing keys, workspace erasure, lost devices.");
        foreach (var option in Connection.Options)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(AppsCommands.Apps());
        root.Subcommands.Add(AppsCommands.Usage());
        root.Subcommands.Add(KeysCommands.Keys());
        root.Subcommands.Add(WorkspacesCommands.Workspaces());
        root.Subcommands.Add(ClientsCommands.Clients());
        return root;
    }
}
