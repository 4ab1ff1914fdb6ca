using Services.Auth.Invites;
using Services.Auth.Tokens;
using SyncEngine.Backend.Security;
using Xunit;

namespace Services.Auth.Tests;

public sealed class TokenRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, 500, TimeSpan.Zero);

    [Fact]
    public void a_token_without_revocation_carries_the_current_second()
    {
        Assert.Equal(Now.ToUnixTimeSeconds(), TokenIssuer.IssuedAtAfterRevocation(Now, null).ToUnixTimeSeconds());
    }

    [Fact]
    public void a_token_granted_again_in_the_revocations_second_is_issued_in_the_next_second_so_it_is_not_born_revoked()
    {
        var revocation = new Revocation { RevokedAt = Now.AddMilliseconds(-100) };

        var issuedAt = TokenIssuer.IssuedAtAfterRevocation(Now, revocation);

        Assert.Equal(Now.ToUnixTimeSeconds() + 1, issuedAt.ToUnixTimeSeconds());
        Assert.False(revocation.Covers(issuedAt));
    }

    [Fact]
    public void revocation_covers_tokens_issued_at_or_before_its_second_only()
    {
        var revocation = new Revocation { RevokedAt = Now };

        Assert.True(revocation.Covers(Now.AddMinutes(-5)));
        Assert.True(revocation.Covers(DateTimeOffset.FromUnixTimeSeconds(Now.ToUnixTimeSeconds())));
        Assert.False(revocation.Covers(Now.AddSeconds(1)));
    }

    [Theory]
    [InlineData(null, null, null, "pending")]
    [InlineData(-10, null, null, "active")]
    [InlineData(-10, null, -1, "expired")]
    [InlineData(-10, -5, null, "revoked")]
    [InlineData(null, -5, null, "revoked")]
    public void a_grant_has_one_status(int? issuedSecondsAgo, int? revokedSecondsAgo, int? expiredSecondsAgo, string status)
    {
        var token = new AccessToken
        {
            GrantedAt = Now.AddMinutes(-1),
            InviteExpiresAt = Now.AddDays(1),
            IssuedAt = issuedSecondsAgo is { } i ? Now.AddSeconds(i) : null,
            RevokedAt = revokedSecondsAgo is { } r ? Now.AddSeconds(r) : null,
            ExpiresAt = expiredSecondsAgo is { } e ? Now.AddSeconds(e) : null,
        };

        Assert.Equal(status, token.StatusAt(Now));
    }

    [Fact]
    public void invite_codes_are_long_random_and_stored_only_as_a_hash()
    {
        var a = InviteCode.New();
        var b = InviteCode.New();

        Assert.NotEqual(a, b);
        Assert.True(a.Length >= 43, "an invite code has at least 256 bits");
        Assert.Equal(64, InviteCode.Hash(a).Length);
        Assert.DoesNotContain(a, InviteCode.Hash(a));
        Assert.Equal(InviteCode.Hash(a), InviteCode.Hash(a));
    }
}
