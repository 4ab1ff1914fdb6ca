using System.CommandLine;
using System.Globalization;
using SyncEngine.Cli.Output;

namespace SyncEngine.Cli.Clients;

/// <summary><c>syncengine clients revoke &lt;appId&gt; &lt;clientId&gt;</c>: cut off a lost or stolen device.</summary>
public static class ClientsCommands
{
    public static Command Clients()
    {
        var clients = new Command("clients", "Devices (client ids) of an app's workspaces.");
        var appId = new Argument<string>("appId") { Description = "The app." };
        var clientId = new Argument<Guid>("clientId") { Description = "The device's client id." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation (for scripts)." };
        var revoke = new Command("revoke", "Revoke every token of a device in every workspace of the app (a lost or stolen device).")
        {
            appId,
            clientId,
            yes,
        };
        revoke.AsOperator(async (op, parse, ct) =>
        {
            if (!parse.GetValue(yes))
            {
                if (Console.IsInputRedirected)
                {
                    throw new CliException("Revoking cuts the device off every workspace of the app: pass --yes to confirm when not at a terminal.");
                }

                parse.Out().Write($"Revoke every token of {parse.GetRequiredValue(clientId)} in the app '{parse.GetRequiredValue(appId)}'? [y/N] ");
                if (Console.ReadLine()?.Trim() is not ("y" or "Y" or "yes"))
                {
                    throw new CliException("Not revoked.");
                }
            }

            var revoked = await op.Api.RevokeDeviceAsync(op.Token, parse.GetRequiredValue(appId), parse.GetRequiredValue(clientId), ct);
            if (op.Json)
            {
                parse.Json(revoked);
                return;
            }

            parse.Out().WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"revoked {revoked.Tokens} token(s) of {revoked.ClientId} in {revoked.Workspaces.Count} workspace(s) of {revoked.AppId}; refused everywhere within a second"));
        });
        clients.Subcommands.Add(revoke);
        return clients;
    }
}
