using System.Security.Cryptography;

namespace SyncEngine.AppHost;

/// <summary>
/// Auth seals its signing keys with <c>Auth:KeyEncryptionKey</c>, a secret that must not live in the database. Taken
/// from the AppHost's configuration when set (user secrets, environment); otherwise generated once for development and
/// kept in <c>.data/</c>, so keys sealed on one run still open on the next. Handed to Auth only, never to the other
/// services with the rest of the <c>Auth:*</c> section.
/// </summary>
public static class KeyEncryption
{
    public const string Setting = "Auth:KeyEncryptionKey";

    public static IResourceBuilder<ProjectResource> WithKeyEncryptionKey(this IResourceBuilder<ProjectResource> auth)
    {
        var builder = auth.ApplicationBuilder;
        var value = builder.Configuration[Setting] is { Length: > 0 } configured
            ? configured
            : DevelopmentData.Secret(builder, "auth-key-encryption-key", () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var secret = builder.AddParameter("auth-key-encryption-key", value, secret: true);
        return auth.WithEnvironment(Setting.Replace(":", "__"), secret);
    }
}
