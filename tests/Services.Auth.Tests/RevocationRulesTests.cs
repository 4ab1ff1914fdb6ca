using Services.Auth.Tokens;
using SyncEngine.Backend.Security;
using Xunit;

namespace Services.Auth.Tests;

/// <summary>
/// Auth's side of the revocation rules (SyncEngine.Backend.Tests has the rules themselves): the token granted after a
/// revocation, and which master tokens ending the others revokes.
/// </summary>
public sealed class RevocationRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, 100, TimeSpan.Zero);
    private static readonly Guid Workspace = Guid.NewGuid();
    private static readonly Guid Client = Guid.NewGuid();

    [Fact]
    public void revoke_grant_join_and_revoke_again_within_one_second_refuses_the_newest_token()
    {
        var first = Guid.NewGuid();
        var afterFirst = Revocation.Merge(null, Workspace, Client, Now, [first]);
        var newest = Guid.NewGuid();
        var newestIssuedAt = TokenIssuer.IssuedAtAfterRevocation(Now.AddMilliseconds(30), afterFirst);
        Assert.False(afterFirst.Refuses(newestIssuedAt, newest));

        var afterSecond = Revocation.Merge(afterFirst, Workspace, Client, Now.AddMilliseconds(60), [first, newest]);

        // The instant alone would not: the newest token's iat is the second after both revocations.
        Assert.False(afterSecond.Covers(newestIssuedAt));
        Assert.True(afterSecond.Refuses(newestIssuedAt, newest));
        Assert.True(afterSecond.Refuses(Now, first));
    }

    [Fact]
    public void ending_other_master_tokens_spares_the_callers_own_and_every_members_token()
    {
        AccessToken Token(bool master, DateTimeOffset? revokedAt = null) =>
            new() { Id = Guid.NewGuid(), WorkspaceId = Workspace, ClientId = Client, IsMaster = master, RevokedAt = revokedAt };
        var (caller, other, alreadyRevoked, member) = (Token(true), Token(true), Token(true, Now), Token(false));

        var revoked = RevokeOtherMasterTokens.Decide([caller, other, alreadyRevoked, member], caller.Id);

        Assert.Equal([other], revoked);
    }
}
