using System.CommandLine;
using SyncEngine.Cli.Output;

namespace SyncEngine.Cli.Workspaces;

/// <summary><c>syncengine workspaces delete</c>: erasure through <c>/admin/workspaces/{id}</c>.</summary>
public static class WorkspacesCommands
{
    public static Command Workspaces()
    {
        var workspaces = new Command("workspaces", "Workspaces of every app.");
        workspaces.Subcommands.Add(Delete());
        return workspaces;
    }

    private static Command Delete()
    {
        var id = new Argument<Guid>("workspaceId") { Description = "The workspace to erase." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation (for scripts)." };
        var delete = new Command("delete", "Erase a workspace everywhere: changes, snapshots, tokens, invites, history. It cannot be undone.")
        {
            id,
            yes,
        };
        delete.AsOperator(async (op, parse, ct) =>
        {
            var workspaceId = parse.GetRequiredValue(id);
            if (!parse.GetValue(yes))
            {
                // Asked only of a person at a terminal; a script must say --yes rather than hang on a prompt.
                if (Console.IsInputRedirected)
                {
                    throw new CliException("Erasing cannot be undone: pass --yes to confirm when not at a terminal.");
                }

                parse.Out().Write($"Erase workspace {workspaceId} and everything of it, in every service? This cannot be undone. [y/N] ");
                if (Console.ReadLine()?.Trim() is not ("y" or "Y" or "yes"))
                {
                    throw new CliException("Not erased.");
                }
            }

            await op.Api.EraseWorkspaceAsync(op.Token, workspaceId, ct);
            parse.Out().WriteLine($"erased {workspaceId}: every route of it answers 410 workspace-deleted from now on");
        });
        return delete;
    }
}
