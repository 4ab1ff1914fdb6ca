using System.Security.Cryptography;
using System.Text;

namespace SyncEngine.AppHost;

/// <summary>
/// The operator client's secret (docs/design.md, "Operators"): <c>Operator:Secret</c> from the AppHost's configuration
/// when set, otherwise 256 random bits generated once for development and kept in <c>.data/operator-secret</c>. Auth
/// gets only its SHA-256 (<c>Operator:SecretHash</c>), so the secret itself lives nowhere but here and with the
/// operator; the ready line prints how to use it.
/// </summary>
public static class OperatorSecret
{
    public const string Setting = "Operator:Secret";
    public const string FileName = "operator-secret";

    public sealed record Credentials(string ClientId, string Secret, string? GeneratedInto);

    public static IResourceBuilder<ProjectResource> WithOperatorSecret(this IResourceBuilder<ProjectResource> auth, out Credentials credentials)
    {
        var builder = auth.ApplicationBuilder;
        var clientId = builder.Configuration["Operator:ClientId"] is { Length: > 0 } id ? id : "operator";
        credentials = builder.Configuration[Setting] is { Length: > 0 } configured
            ? new Credentials(clientId, configured, null)
            : new Credentials(clientId,
                DevelopmentData.Secret(builder, FileName, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
                    .TrimEnd('=').Replace('+', '-').Replace('/', '_')),
                Path.Combine(DevelopmentData.Root(builder), FileName));
        return auth
            .WithEnvironment("Operator__ClientId", clientId)
            .WithEnvironment("Operator__SecretHash", Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(credentials.Secret))))
            // Everything else in the section (e.g. Operator:TokenLifetime), never the secret.
            .WithSectionEnvironment(builder.Configuration, "Operator", appHostOnly: ["Secret", "ClientId"]);
    }

    /// <summary>
    /// What the ready line adds: who the operator is and how to get a token. A generated secret is shown (it exists
    /// only for this development setup); one given in configuration is not echoed into console logs.
    /// </summary>
    public static string Hint(Credentials credentials, string gatewayUrl)
    {
        var secret = credentials.GeneratedInto is null ? "$OPERATOR_SECRET" : credentials.Secret;
        return $"Operator client '{credentials.ClientId}', secret " +
            (credentials.GeneratedInto is { } file ? $"{credentials.Secret} (generated, kept in {file})" : "from Operator:Secret") +
            $"; the CLI: SYNCENGINE_URL={gatewayUrl} SYNCENGINE_CLIENT_ID={credentials.ClientId} SYNCENGINE_CLIENT_SECRET={secret} " +
            "dotnet run --project src/SyncEngine.Cli -- apps list" +
            $"; a token: curl -s {gatewayUrl}/connect/token -u '{credentials.ClientId}:{secret}' " +
            "-d grant_type=client_credentials -d scope=syncengine.admin | jq -r .access_token";
    }
}
