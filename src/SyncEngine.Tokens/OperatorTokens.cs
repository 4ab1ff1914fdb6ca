using Microsoft.IdentityModel.Tokens;

namespace SyncEngine.Tokens;

/// <summary>
/// Operator tokens (docs/design.md, "Operators"): OAuth 2.0 client-credentials access tokens from Auth's
/// <c>/connect/token</c>, signed like workspace tokens but for another audience, so neither kind passes where the
/// other is expected.
/// </summary>
public static class OperatorTokens
{
    public const string Audience = "syncengine-admin";
    public const string Scope = "syncengine.admin";

    public static TokenValidationParameters Parameters(string issuer)
    {
        var parameters = TokenParameters.For(issuer);
        parameters.ValidAudience = Audience;
        // Unlike a workspace token, an operator token always expires (minutes after it is issued).
        parameters.RequireExpirationTime = true;
        return parameters;
    }
}
