using JasperFx.CommandLine;

namespace Services.Auth.Keys;

public sealed class KeysInput : NetCoreInput
{
    [Description("list, add or retire")]
    public string Action { get; set; } = "list";

    [Description("The key id to retire")]
    [FlagAlias("kid", 'k')]
    public string KidFlag { get; set; } = "";

    [Description("Minutes until an added key starts signing (published at once); default 15, longer than validators' 10-minute refresh")]
    [FlagAlias("activate-in", 'a')]
    public int ActivateInFlag { get; set; } = 15;
}

/// <summary>
/// Operators rotate keys with `dotnet run --project src/Services.Auth -- keys add` (then, once tokens signed by the
/// old key may stop working, `keys retire --kid OLD`), against the database in ConnectionStrings:syncengine.
/// Running Auth replicas pick the change up within a minute.
/// </summary>
[Description("Lists, adds or retires Auth's ES256 signing keys", Name = "keys")]
public sealed class KeysCommand : JasperFxAsyncCommand<KeysInput>
{
    public override async Task<bool> Execute(KeysInput input)
    {
        using var host = input.BuildHost();
        var ring = host.Services.GetRequiredService<SigningKeyRing>();
        var clock = host.Services.GetRequiredService<TimeProvider>();
        switch (input.Action)
        {
            case "add":
                var key = await ring.AddKeyAsync(clock.GetUtcNow().AddMinutes(input.ActivateInFlag), CancellationToken.None);
                Console.WriteLine($"added {key.Id}, published now, signing from {key.ActivatesAt:O}");
                return true;
            case "retire" when input.KidFlag.Length > 0:
                try
                {
                    await ring.RetireKeyAsync(input.KidFlag, clock.GetUtcNow(), CancellationToken.None);
                }
                catch (InvalidOperationException refused)
                {
                    Console.Error.WriteLine($"not retired: {refused.Message}");
                    return false;
                }

                Console.WriteLine($"retired {input.KidFlag}: no longer published; tokens it signed are refused");
                return true;
            case "list":
                foreach (var k in await ring.AllAsync(CancellationToken.None))
                {
                    Console.WriteLine($"{k.Id}  created {k.CreatedAt:O}  signs from {k.ActivatesAt:O}  retired {k.RetiredAt?.ToString("O") ?? "-"}");
                }

                return true;
            default:
                Console.Error.WriteLine("usage: keys list | keys add [--activate-in MINUTES] | keys retire --kid KID");
                return false;
        }
    }
}
