using Services.Auth.Tokens;
using Xunit;

namespace Services.Auth.Tests;

public sealed class ListTokensTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void the_owner_sees_each_grants_status_and_an_invites_expiry_only_while_it_waits_to_be_redeemed()
    {
        var pending = new AccessToken { Id = Guid.NewGuid(), Scope = "read", GrantedAt = Now.AddHours(-2), InviteExpiresAt = Now.AddDays(1) };
        var redeemed = new AccessToken
        {
            Id = Guid.NewGuid(), Scope = "read_write", GrantedAt = Now.AddHours(-1), InviteExpiresAt = Now.AddDays(1), IssuedAt = Now.AddMinutes(-5),
        };

        var view = ListTokens.View([pending, redeemed], Now);

        Assert.Equal([pending.Id, redeemed.Id], view.Select(t => t.TokenId));
        Assert.Equal(["pending", "active"], view.Select(t => t.Status));
        Assert.Equal([Now.AddDays(1), null], view.Select(t => t.InviteExpiresAt));
    }
}
