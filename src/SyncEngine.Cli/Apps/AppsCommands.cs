using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SyncEngine.Cli.Output;
using SyncEngine.Client;

namespace SyncEngine.Cli.Apps;

/// <summary><c>syncengine apps list|show|create|set|suspend|resume</c>: the admin API's <c>/admin/apps</c> routes.</summary>
public static class AppsCommands
{
    private static readonly Argument<string> AppId = new("appId") { Description = "The app's id (a slug such as my-app)." };

    public static Command Apps()
    {
        var apps = new Command("apps", "Registered apps and their settings.");
        apps.Subcommands.Add(List());
        apps.Subcommands.Add(Show());
        apps.Subcommands.Add(Create());
        apps.Subcommands.Add(Set());
        apps.Subcommands.Add(Suspension("suspend", true,
            "Suspend an app: its clients get 403 app-suspended on every route, and their live streams end, until it is resumed."));
        apps.Subcommands.Add(Suspension("resume", false, "Resume a suspended app."));
        return apps;
    }

    /// <summary><c>syncengine usage &lt;appId&gt;</c>: what an app stores and moves.</summary>
    public static Command Usage()
    {
        var usage = new Command("usage", "An app's usage: workspaces, stored bytes, changes, the last 24 h's pushes and bytes, live streams.") { AppId };
        usage.AsOperator(async (op, parse, ct) =>
        {
            var used = await op.Api.GetAppUsageAsync(op.Token, parse.GetRequiredValue(AppId), ct);
            if (op.Json)
            {
                parse.Json(used);
                return;
            }

            static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
            parse.Fields([
                ("workspaces", N(used.Workspaces)),
                ("stored bytes", N(used.StoredBytes)),
                ("changes", N(used.Changes)),
                ("pushes, last 24 h", N(used.PushesLast24h)),
                ("bytes in, last 24 h", N(used.BytesInLast24h)),
                ("bytes out, last 24 h", N(used.BytesOutLast24h)),
                ("live streams", N(used.LiveStreams)),
            ]);
        });
        return usage;
    }

    private static Command List()
    {
        var list = new Command("list", "Every registered app.");
        list.AsOperator(async (op, parse, ct) =>
        {
            var apps = await op.Api.ListAppsAsync(op.Token, ct);
            if (op.Json)
            {
                parse.Json(apps);
                return;
            }

            parse.Table(["app", "name", "claims", "schema", "state", "quotas"], apps.OrderBy(a => a.AppId, StringComparer.Ordinal).Select(a =>
                (IReadOnlyList<string>)[a.AppId, a.Name, a.ClaimPolicy, a.MaxSchemaVersion.ToString(CultureInfo.InvariantCulture),
                    a.Suspended ? "suspended" : "active", AppSettingsOptions.QuotaSummary(a.Quotas)]));
        });
        return list;
    }

    private static Command Show()
    {
        var show = new Command("show", "One app's settings.") { AppId };
        show.AsOperator(async (op, parse, ct) => Print(op, parse, await op.Api.GetAppAsync(op.Token, parse.GetRequiredValue(AppId), ct)));
        return show;
    }

    private static Command Create()
    {
        var create = new Command("create", "Register an app (open claims unless --claim-policy app-token).") { AppId };
        AppSettingsOptions.AddTo(create);
        create.AsOperator(async (op, parse, ct) =>
        {
            var settings = AppSettingsOptions.Patch(parse);
            settings["appId"] = parse.GetRequiredValue(AppId);
            settings["name"] ??= parse.GetRequiredValue(AppId);
            var registered = await op.Api.RegisterAppAsync(op.Token, settings.Deserialize<AppSettings>(AppSettingsOptions.Web)!, ct);
            Print(op, parse, registered);
        });
        return create;
    }

    private static Command Set()
    {
        var set = new Command("set", "Change an app's settings; only the options given change (a quota set to 'default' returns to the deployment's).")
        {
            AppId,
        };
        AppSettingsOptions.AddTo(set);
        set.AsOperator(async (op, parse, ct) =>
        {
            var patch = AppSettingsOptions.Patch(parse);
            if (patch.Count == 0)
            {
                throw new CliException("Nothing to change: give at least one option (see `syncengine apps set --help`).");
            }

            Print(op, parse, await op.Api.ChangeAppAsync(op.Token, parse.GetRequiredValue(AppId), patch, ct));
        });
        return set;
    }

    private static Command Suspension(string name, bool suspended, string description)
    {
        var command = new Command(name, description) { AppId };
        command.AsOperator(async (op, parse, ct) =>
            Print(op, parse, await op.Api.ChangeAppAsync(op.Token, parse.GetRequiredValue(AppId), new JsonObject { ["suspended"] = suspended }, ct)));
        return command;
    }

    private static void Print(Operator op, ParseResult parse, AppSettings app)
    {
        if (op.Json)
        {
            parse.Json(app);
            return;
        }

        parse.Fields([
            ("app", app.AppId),
            ("name", app.Name),
            ("state", app.Suspended ? "suspended" : "active"),
            ("claim policy", app.ClaimPolicy),
            ("issuer", app.Issuer ?? "-"),
            ("audience", app.Audience ?? "-"),
            ("allowed origins", app.AllowedOrigins is { Count: > 0 } origins ? string.Join(", ", origins) : "-"),
            ("max schema version", app.MaxSchemaVersion.ToString(CultureInfo.InvariantCulture)),
            ("quotas", AppSettingsOptions.QuotaSummary(app.Quotas)),
        ]);
    }
}
