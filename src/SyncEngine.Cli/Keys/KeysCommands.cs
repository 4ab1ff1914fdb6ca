using System.CommandLine;
using System.Globalization;
using SyncEngine.Cli.Output;
using SyncEngine.Client;

namespace SyncEngine.Cli.Keys;

/// <summary>
/// <c>syncengine keys list|add|retire</c>: Auth's signing keys through <c>/admin/keys</c>. Rotation: <c>keys add</c>,
/// wait until the new key signs (15 minutes unless <c>--activate-in</c>), then <c>keys retire KID</c> for the old one.
/// </summary>
public static class KeysCommands
{
    public static Command Keys()
    {
        var keys = new Command("keys", "Auth's ES256 signing keys: list, add, retire (rotation without database access).");
        keys.Subcommands.Add(List());
        keys.Subcommands.Add(Add());
        keys.Subcommands.Add(Retire());
        return keys;
    }

    private static Command List()
    {
        var list = new Command("list", "Every signing key, oldest first, with its state (signing, pending, published, retired).");
        list.AsOperator(async (op, parse, ct) => Print(op, parse, await op.Api.ListSigningKeysAsync(op.Token, ct)));
        return list;
    }

    private static Command Add()
    {
        var activateIn = new Option<int?>("--activate-in")
        {
            Description = "Minutes until the new key signs (default 15: longer than the 10 minutes validators take to fetch it). It is published at once.",
        };
        var add = new Command("add", "Add a signing key.") { activateIn };
        add.AsOperator(async (op, parse, ct) => Print(op, parse, [await op.Api.AddSigningKeyAsync(op.Token, parse.GetValue(activateIn), ct)]));
        return add;
    }

    private static Command Retire()
    {
        var kid = new Argument<string>("kid") { Description = "The key to retire (keys list shows them)." };
        var retire = new Command("retire", "Retire a key: no longer published, its tokens refused. Refused while it is the only key that signs.") { kid };
        retire.AsOperator(async (op, parse, ct) => Print(op, parse, [await op.Api.RetireSigningKeyAsync(op.Token, parse.GetRequiredValue(kid), ct)]));
        return retire;
    }

    private static void Print(Operator op, ParseResult parse, IReadOnlyList<SigningKeyInfo> keys)
    {
        if (op.Json)
        {
            if (parse.CommandResult.Command.Name == "list")
            {
                parse.Json(keys);
            }
            else
            {
                parse.Json(keys.Single());
            }

            return;
        }

        parse.Table(["kid", "state", "created", "signs from", "retired"], keys.Select(k => (IReadOnlyList<string>)
            [k.Kid, k.State, Time(k.CreatedAt), Time(k.ActivatesAt), k.RetiredAt is { } at ? Time(at) : "-"]));
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
