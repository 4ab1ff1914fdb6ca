using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SyncEngine.Client;

namespace SyncEngine.Cli.Apps;

/// <summary>
/// The settings <c>apps create</c> and <c>apps set</c> take, turned into the JSON merge patch the admin API reads: an
/// option given is a member, one not given is left alone. The server checks the values (400 naming the member).
/// </summary>
public static class AppSettingsOptions
{
    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>The quotas by their settings' names (docs/design.md, "Apps on one backend").</summary>
    public static readonly IReadOnlyList<string> QuotaNames =
        ["maxWorkspaces", "maxWorkspaceBytes", "maxAppBytes", "maxChangeBytes", "maxLiveStreamsPerClient", "claimsPerMinutePerAddress"];

    private static readonly Option<string> Name = new("--name") { Description = "A name for people." };
    private static readonly Option<string> ClaimPolicy = new("--claim-policy") { Description = "open (any device claims) or app-token (a JWT of the app's issuer)." };
    private static readonly Option<string> Issuer = new("--issuer") { Description = "The app's OIDC issuer (app-token claims)." };
    private static readonly Option<string> Audience = new("--audience") { Description = "The audience the app's JWTs carry (app-token claims)." };
    private static readonly Option<int?> MaxSchemaVersion = new("--max-schema-version") { Description = "The newest document schema the app has released." };

    private static readonly Option<string[]> Origins = new("--origin")
    {
        Description = "An origin allowed to call the API from a browser (scheme://host[:port]); repeat for several; replaces the list. --origin none clears it.",
        AllowMultipleArgumentsPerToken = false,
    };

    private static readonly Option<string[]> Quotas = new("--quota")
    {
        Description = "name=value, e.g. maxWorkspaces=1000 or maxAppBytes=default; repeat for several. Names: " + string.Join(", ", QuotaNames) + ".",
    };

    public static void AddTo(Command command)
    {
        foreach (var option in new Option[] { Name, ClaimPolicy, Issuer, Audience, MaxSchemaVersion, Origins, Quotas })
        {
            command.Options.Add(option);
        }
    }

    public static JsonObject Patch(ParseResult parse)
    {
        var patch = new JsonObject();
        Set(patch, "name", parse.GetValue(Name));
        Set(patch, "claimPolicy", parse.GetValue(ClaimPolicy));
        Set(patch, "issuer", parse.GetValue(Issuer));
        Set(patch, "audience", parse.GetValue(Audience));
        if (parse.GetValue(MaxSchemaVersion) is { } version)
        {
            patch["maxSchemaVersion"] = version;
        }

        if (parse.GetValue(Origins) is { Length: > 0 } origins)
        {
            patch["allowedOrigins"] = origins is ["none"] ? new JsonArray() : new JsonArray(origins.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray());
        }

        if (parse.GetValue(Quotas) is { Length: > 0 } quotas)
        {
            patch["quotas"] = QuotaPatch(quotas);
        }

        return patch;
    }

    /// <summary><c>name=value</c> pairs as the quotas member; <c>default</c> (or <c>null</c>) is null, the deployment's default.</summary>
    public static JsonObject QuotaPatch(IEnumerable<string> pairs)
    {
        var quotas = new JsonObject();
        foreach (var pair in pairs)
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            var name = at < 0 ? pair : pair[..at];
            var known = QuotaNames.FirstOrDefault(q => string.Equals(q, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new CliException($"--quota {pair}: unknown quota '{name}'; known: {string.Join(", ", QuotaNames)}.");
            var value = at < 0 ? "" : pair[(at + 1)..];
            quotas[known] = value is "default" or "null"
                ? null
                : long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit > 0
                    ? limit
                    : throw new CliException($"--quota {pair}: the value must be a positive integer or 'default'.");
        }

        return quotas;
    }

    public static string QuotaSummary(AppQuotas? quotas)
    {
        if (quotas is null)
        {
            return "defaults";
        }

        var set = new (string Name, long? Value)[]
        {
            ("maxWorkspaces", quotas.MaxWorkspaces), ("maxWorkspaceBytes", quotas.MaxWorkspaceBytes), ("maxAppBytes", quotas.MaxAppBytes),
            ("maxChangeBytes", quotas.MaxChangeBytes), ("maxLiveStreamsPerClient", quotas.MaxLiveStreamsPerClient),
            ("claimsPerMinutePerAddress", quotas.ClaimsPerMinutePerAddress),
        }.Where(q => q.Value is not null).Select(q => $"{q.Name}={q.Value!.Value.ToString(CultureInfo.InvariantCulture)}").ToList();
        return set.Count == 0 ? "defaults" : string.Join(" ", set);
    }

    private static void Set(JsonObject patch, string member, string? value)
    {
        if (value is not null)
        {
            patch[member] = value;
        }
    }
}
