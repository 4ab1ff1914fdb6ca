using System.CommandLine;
using System.Globalization;
using SyncEngine.Cli.Output;
using SyncEngine.Client;

namespace SyncEngine.Cli.Workspaces;

/// <summary><c>syncengine workspaces list|show|delete</c>: the operators' workspace views and erasure.</summary>
public static class WorkspacesCommands
{
    public static Command Workspaces()
    {
        var workspaces = new Command("workspaces", "Workspaces of every app.");
        workspaces.Subcommands.Add(List());
        workspaces.Subcommands.Add(Show());
        workspaces.Subcommands.Add(Delete());
        workspaces.Subcommands.Add(Export());
        workspaces.Subcommands.Add(Import());
        return workspaces;
    }

    private static Command Export()
    {
        var id = new Argument<Guid>("workspaceId") { Description = "The workspace to export." };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "The archive file to write (default: <workspaceId>.searchive)." };
        var export = new Command("export", "Write a workspace's archive (metadata, snapshots, every retained change; docs/protocol.md).") { id, output };
        export.AsOperator(async (op, parse, ct) =>
        {
            var workspaceId = parse.GetRequiredValue(id);
            var file = parse.GetValue(output) ?? new FileInfo($"{workspaceId}.searchive");
            // Written to a temporary name and moved into place once complete: a broken-off export leaves no archive behind.
            var partial = file.FullName + ".partial";
            long bytes;
            await using (var stream = File.Create(partial))
            {
                bytes = await op.Api.ExportWorkspaceAsync(op.Token, workspaceId, stream, Progress("exported"), ct);
            }

            File.Move(partial, file.FullName, overwrite: true);
            EndProgress();
            if (op.Json)
            {
                parse.Json(new { workspaceId, file = file.FullName, bytes });
                return;
            }

            parse.Out().WriteLine($"exported {workspaceId} to {file.FullName} ({N(bytes)} bytes)");
        });
        return export;
    }

    private static Command Import()
    {
        var appId = new Argument<string>("appId") { Description = "The app to restore the workspace into." };
        var file = new Argument<FileInfo>("archive") { Description = "An archive written by `workspaces export` (of this or another deployment)." };
        var import = new Command("import", "Restore a workspace from its archive, byte for byte; prints the owner's new master token.") { appId, file };
        import.AsOperator(async (op, parse, ct) =>
        {
            var archive = parse.GetRequiredValue(file);
            if (!archive.Exists)
            {
                throw new CliException($"{archive.FullName} does not exist.");
            }

            await using var stream = archive.OpenRead();
            var restored = await op.Api.RestoreWorkspaceAsync(op.Token, parse.GetRequiredValue(appId), stream, Progress("sent"), ct);
            EndProgress();
            if (op.Json)
            {
                parse.Json(restored);
                return;
            }

            parse.Fields([
                ("restored", restored.WorkspaceId.ToString()),
                ("app", restored.AppId),
                ("owner", restored.OwnerClientId.ToString()),
                ("head", N(restored.Head)),
                ("owner's master token", restored.Token),
            ]);
        });
        return import;
    }

    /// <summary>Bytes so far on standard error, at most a few times a second and only at a terminal: standard output stays the result.</summary>
    private static IProgress<long>? Progress(string verb)
    {
        if (Console.IsErrorRedirected)
        {
            return null;
        }

        var last = DateTime.MinValue;
        return new Progress<long>(bytes =>
        {
            if (DateTime.UtcNow - last > TimeSpan.FromMilliseconds(200))
            {
                last = DateTime.UtcNow;
                Console.Error.Write($"\r{verb} {N(bytes)} bytes");
            }
        });
    }

    private static void EndProgress()
    {
        if (!Console.IsErrorRedirected)
        {
            Console.Error.WriteLine();
        }
    }

    private static Command List()
    {
        var appId = new Argument<string>("appId") { Description = "The app whose workspaces to list." };
        var limit = new Option<int?>("--limit") { Description = "Workspaces per page (1–500, 50 by default)." };
        var cursor = new Option<string?>("--cursor") { Description = "Where to go on: the next cursor a previous page printed." };
        var all = new Option<bool>("--all") { Description = "Every page, one after the other." };
        var list = new Command("list", "An app's workspaces, in id order: owner, created, head, stored bytes, last change, members.")
        {
            appId,
            limit,
            cursor,
            all,
        };
        list.AsOperator(async (op, parse, ct) =>
        {
            var items = new List<AdminWorkspaceItem>();
            var next = parse.GetValue(cursor);
            do
            {
                var page = await op.Api.ListWorkspacesAsync(op.Token, parse.GetRequiredValue(appId), parse.GetValue(limit), next, ct);
                items.AddRange(page.Items);
                next = page.NextCursor;
            }
            while (parse.GetValue(all) && next is not null);

            if (op.Json)
            {
                parse.Json(new AdminWorkspacePage(items, next));
                return;
            }

            parse.Table(["workspace", "owner", "created", "head", "stored bytes", "last change", "members"], items.Select(w =>
                (IReadOnlyList<string>)[w.WorkspaceId.ToString(), w.OwnerSubject ?? w.OwnerClientId.ToString(), Time(w.CreatedAt),
                    N(w.Head), N(w.StoredBytes), w.LastChangeAt is { } at ? Time(at) : "-", N(w.Members)]));
            if (next is not null)
            {
                parse.Out().WriteLine($"more: --cursor {next}");
            }
        });
        return list;
    }

    private static Command Show()
    {
        var id = new Argument<Guid>("workspaceId") { Description = "The workspace to show." };
        var show = new Command("show", "One workspace: app, owner, head, schema version, stored bytes, snapshots, members (no tokens).") { id };
        show.AsOperator(async (op, parse, ct) =>
        {
            var workspace = await op.Api.GetWorkspaceAsOperatorAsync(op.Token, parse.GetRequiredValue(id), ct);
            if (op.Json)
            {
                parse.Json(workspace);
                return;
            }

            parse.Fields([
                ("workspace", workspace.WorkspaceId.ToString()),
                ("app", workspace.AppId),
                ("owner", workspace.OwnerSubject is { } subject ? $"{workspace.OwnerClientId} ({subject})" : workspace.OwnerClientId.ToString()),
                ("created", Time(workspace.CreatedAt)),
                ("head", N(workspace.Head)),
                ("schema version", N(workspace.SchemaVersion)),
                ("stored bytes", N(workspace.StoredBytes)),
                ("last change", workspace.LastChangeAt is { } at ? Time(at) : "-"),
                ("snapshots", workspace.Snapshots.Count == 0 ? "none"
                    : string.Join(", ", workspace.Snapshots.Select(s => $"covers {N(s.Covers)} ({N(s.Bytes)} bytes, {Time(s.CreatedAt)})"))),
                ("members", workspace.Members.Count == 0 ? "none"
                    : string.Join(", ", workspace.Members.Select(m => $"{m.ClientId} {m.Scope ?? "-"}{(m.RevokedAt is null ? "" : " revoked")}"))),
            ]);
        });
        return show;
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

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
