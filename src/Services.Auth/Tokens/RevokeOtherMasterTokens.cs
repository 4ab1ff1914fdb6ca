namespace Services.Auth.Tokens;

/// <summary>
/// The owner ends every master token of the workspace but the one it calls with: master tokens never expire, and each
/// claim retry mints another, so a leaked one would otherwise work forever. Reached through the revoke route with the
/// owner's own client id (<see cref="RevokeAccess"/>).
/// </summary>
public static class RevokeOtherMasterTokens
{
    /// <summary>The workspace's master tokens still in force, except the caller's.</summary>
    public static IReadOnlyList<AccessToken> Decide(IEnumerable<AccessToken> tokens, Guid callerTokenId) =>
        tokens.Where(t => t.IsMaster && t.RevokedAt is null && t.Id != callerTokenId).ToList();
}
