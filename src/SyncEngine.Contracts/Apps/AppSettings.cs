namespace SyncEngine.Contracts.Apps;

/// <summary>
/// An app's full settings as operators set them (docs/design.md, "Apps on one backend"). Carried whole by
/// <see cref="AppSettingsChanged"/>, which Workspace publishes and Auth and Sync consume.
/// </summary>
/// <param name="AppId">The app's slug, <c>[a-z0-9-]{3,40}</c>; fixed at registration.</param>
/// <param name="Name">A human name, 1 to 100 characters.</param>
/// <param name="ClaimPolicy"><see cref="OpenPolicy"/> (any device may claim) or <see cref="AppTokenPolicy"/> (a claim carries the app's own JWT).</param>
/// <param name="Issuer">The app's identity provider (absolute URL; required for <see cref="AppTokenPolicy"/>).</param>
/// <param name="Audience">The audience the app's JWTs must carry (required for <see cref="AppTokenPolicy"/>).</param>
/// <param name="AllowedOrigins">Origins (<c>scheme://host[:port]</c>) the gateway answers cross-origin requests from.</param>
/// <param name="MaxSchemaVersion">The newest document schema version the app has released, at least 1.</param>
/// <param name="Quotas">The app's limits; a null member is the deployment's default.</param>
/// <param name="Suspended">While true, every route of the app's workspaces is refused.</param>
public sealed record AppSettings(
    string AppId,
    string Name,
    string ClaimPolicy,
    string? Issuer,
    string? Audience,
    IReadOnlyList<string> AllowedOrigins,
    int MaxSchemaVersion,
    AppQuotas Quotas,
    bool Suspended)
{
    /// <summary>Any device may claim a workspace of the app.</summary>
    public const string OpenPolicy = "open";

    /// <summary>A claim must carry a JWT from the app's own identity provider.</summary>
    public const string AppTokenPolicy = "app-token";
}
