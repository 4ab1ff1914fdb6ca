using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using SyncEngine.Contracts.Apps;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Workspace.Apps;

/// <summary>
/// App settings as operators send them (JSON, camelCase), read and checked member by member so a refusal names the
/// member: 400 <c>invalid-request</c>, nothing stored. Unknown members are refused too, so a misspelt quota is not
/// silently ignored. A PATCH is applied to the stored settings as a JSON merge patch (RFC 7396) and the result is
/// checked by the same rules as a registration.
/// </summary>
public static partial class AppSettingsJson
{
    public const int MaxNameLength = 100;
    public const int MaxAudienceLength = 200;
    public const int MaxOrigins = 50;

    private static readonly HashSet<string> Members =
        ["appId", "name", "claimPolicy", "issuer", "audience", "allowedOrigins", "maxSchemaVersion", "quotas", "suspended"];

    // In AppQuotas' order; the last two are ints there.
    private static readonly string[] QuotaNames =
        ["maxWorkspaces", "maxWorkspaceBytes", "maxAppBytes", "maxChangeBytes", "maxLiveStreamsPerClient", "claimsPerMinutePerAddress"];

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [GeneratedRegex("^[a-z0-9-]{3,40}$")]
    private static partial Regex Slug();

    public static bool IsSlug(string? appId) => appId is not null && Slug().IsMatch(appId);

    /// <summary>A request body as a JSON object, or the problem that says why it is not one.</summary>
    public static async Task<(JsonObject? Body, ProblemDetails? Problem)> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: ct) is JsonObject body
                ? (body, null)
                : (null, Problem.BodyRequired());
        }
        catch (JsonException e)
        {
            return (null, Problem.InvalidRequest($"The body is not valid JSON: {e.Message}"));
        }
    }

    /// <summary>Settings from JSON: the checked settings, or a problem naming the first bad member.</summary>
    public static (AppSettings? Settings, ProblemDetails? Problem) Read(JsonObject json)
    {
        if (json.Select(m => m.Key).FirstOrDefault(key => !Members.Contains(key)) is { } unknown)
        {
            return Invalid($"'{unknown}' is not an app setting.");
        }

        if (!TryString(json, "appId", out var appId) || !IsSlug(appId))
        {
            return Invalid("appId is required: 3 to 40 characters of a-z, 0-9 and '-'.");
        }

        if (!TryString(json, "name", out var name) || string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength)
        {
            return Invalid($"name is required: 1 to {MaxNameLength} characters.");
        }

        if (!TryString(json, "claimPolicy", out var claimPolicy, orDefault: AppSettings.OpenPolicy)
            || claimPolicy is not (AppSettings.OpenPolicy or AppSettings.AppTokenPolicy))
        {
            return Invalid($"claimPolicy must be '{AppSettings.OpenPolicy}' or '{AppSettings.AppTokenPolicy}'.");
        }

        if (!TryString(json, "issuer", out var issuer, orDefault: null) || (issuer is not null && IssuerProblem(issuer) is not null))
        {
            return Invalid($"issuer must be an absolute https URL (http only on a loopback host){(issuer is null ? "" : ": " + IssuerProblem(issuer))}.");
        }

        if (!TryString(json, "audience", out var audience, orDefault: null)
            || (audience is not null && (string.IsNullOrWhiteSpace(audience) || audience.Length > MaxAudienceLength)))
        {
            return Invalid($"audience must be 1 to {MaxAudienceLength} characters, or null.");
        }

        if (claimPolicy == AppSettings.AppTokenPolicy && (issuer is null || audience is null))
        {
            return Invalid($"claimPolicy '{AppSettings.AppTokenPolicy}' needs both issuer and audience: claims are checked against them.");
        }

        if (ReadOrigins(json, out var origins) is { } originProblem)
        {
            return Invalid(originProblem);
        }

        if (!TryInteger(json, "maxSchemaVersion", out var maxSchemaVersion, orDefault: 1) || maxSchemaVersion is < 1 or > int.MaxValue)
        {
            return Invalid("maxSchemaVersion must be an integer of at least 1.");
        }

        if (ReadQuotas(json, out var quotas) is { } quotaProblem)
        {
            return Invalid(quotaProblem);
        }

        if (json["suspended"] is { } suspendedNode && suspendedNode.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            return Invalid("suspended must be true or false.");
        }

        var settings = new AppSettings(appId!, name!, claimPolicy!, issuer, audience, origins, (int)maxSchemaVersion!.Value, quotas,
            json["suspended"]?.GetValue<bool>() ?? false);
        return (settings, null);
    }

    /// <summary>The settings as operators see and patch them.</summary>
    public static JsonObject ToJson(AppSettings settings) =>
        // Parsed from text, so its numbers read back exactly as a request's do.
        JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(settings, Web))!.AsObject();

    /// <summary>RFC 7396: members of <paramref name="patch"/> replace the target's, objects merge, null removes a member.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? targetObject.DeepClone().AsObject() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = MergePatch(result[key], value);
            }
        }

        return result;
    }

    /// <summary>Why <paramref name="issuer"/> cannot be an app's issuer, or null when it can.</summary>
    public static string? IssuerProblem(string issuer) =>
        !Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") ? "not an absolute http(s) URL"
        : uri.UserInfo.Length > 0 || uri.Fragment.Length > 0 || uri.Query.Length > 0 ? "no user, query or fragment"
        : uri.Scheme == "http" && !uri.IsLoopback ? "http is allowed only on a loopback host"
        : null;

    private static string? ReadOrigins(JsonObject json, out IReadOnlyList<string> origins)
    {
        origins = [];
        switch (json["allowedOrigins"])
        {
            case null:
                return null;
            case JsonArray array when array.Count <= MaxOrigins:
                var list = new List<string>();
                foreach (var item in array)
                {
                    if (item?.GetValueKind() != JsonValueKind.String || OriginOf(item.GetValue<string>()) is not { } origin)
                    {
                        return $"allowedOrigins[{list.Count}] must be an origin, scheme://host[:port] (http or https, no path).";
                    }

                    list.Add(origin);
                }

                origins = list.Distinct(StringComparer.Ordinal).ToList();
                return null;
            default:
                return $"allowedOrigins must be a list of at most {MaxOrigins} origins.";
        }
    }

    /// <summary>
    /// The origin as a browser sends it in the Origin header (lower case, no default port), or null when the text is
    /// not exactly an origin: anything after the authority (even a lone '/') is refused rather than cut off.
    /// </summary>
    private static string? OriginOf(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.UserInfo.Length == 0
        && uri.GetLeftPart(UriPartial.Authority) is var origin
        && (string.Equals(origin, text, StringComparison.OrdinalIgnoreCase)
            || string.Equals($"{uri.Scheme}://{uri.Authority}:{uri.Port}", text, StringComparison.OrdinalIgnoreCase))
            ? origin.ToLowerInvariant()
            : null;

    private static string? ReadQuotas(JsonObject json, out AppQuotas quotas)
    {
        quotas = new AppQuotas();
        switch (json["quotas"])
        {
            case null:
                return null;
            case JsonObject members:
                if (members.Select(m => m.Key).FirstOrDefault(key => !QuotaNames.Contains(key)) is { } unknown)
                {
                    return $"quotas.{unknown} is not a quota.";
                }

                var values = new long?[QuotaNames.Length];
                for (var i = 0; i < QuotaNames.Length; i++)
                {
                    var max = i >= 4 ? int.MaxValue : long.MaxValue;
                    if (!TryInteger(members, QuotaNames[i], out values[i], orDefault: null) || values[i] is < 1 || values[i] > max)
                    {
                        return $"quotas.{QuotaNames[i]} must be a positive integer (at most {max}), or null for the deployment's default.";
                    }
                }

                quotas = new AppQuotas(values[0], values[1], values[2], values[3], (int?)values[4], (int?)values[5]);
                return null;
            default:
                return "quotas must be an object.";
        }
    }

    private static bool TryString(JsonObject json, string member, out string? value, string? orDefault = null)
    {
        value = orDefault;
        if (json[member] is not { } node)
        {
            return true;
        }

        if (node.GetValueKind() != JsonValueKind.String)
        {
            return false;
        }

        value = node.GetValue<string>();
        return true;
    }

    private static bool TryInteger(JsonObject json, string member, out long? value, long? orDefault)
    {
        value = orDefault;
        if (json[member] is not { } node)
        {
            return true;
        }

        if (node is not JsonValue number || number.GetValueKind() != JsonValueKind.Number || !number.TryGetValue<long>(out var integer))
        {
            return false;
        }

        value = integer;
        return true;
    }

    private static (AppSettings?, ProblemDetails?) Invalid(string detail) => (null, Problem.InvalidRequest(detail));
}
