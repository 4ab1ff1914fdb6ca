using Services.Auth.Invites;
using Services.Auth.Tokens;
using Xunit;

namespace Services.Auth.Tests;

public sealed class JoinWorkspaceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid Workspace = Guid.NewGuid();
    private static readonly Guid Client = Guid.NewGuid();

    private static AccessToken Invite() => new()
    {
        Id = Guid.NewGuid(), WorkspaceId = Workspace, ClientId = Client, Scope = "read", GrantedAt = Now.AddHours(-1),
        InviteExpiresAt = Now.AddDays(6),
    };

    [Fact]
    public void a_pending_invite_named_for_this_client_and_workspace_is_redeemed()
    {
        var invite = Invite();

        Assert.Equal(new JoinDecision.Redeem(invite), JoinWorkspace.Decide(invite, Workspace, Client, Now));
    }

    [Fact]
    public void an_unknown_code_another_workspaces_and_another_clients_look_the_same()
    {
        Assert.IsType<JoinDecision.Unknown>(JoinWorkspace.Decide(null, Workspace, Client, Now));
        Assert.IsType<JoinDecision.Unknown>(JoinWorkspace.Decide(Invite(), Guid.NewGuid(), Client, Now));
        Assert.IsType<JoinDecision.Unknown>(JoinWorkspace.Decide(Invite(), Workspace, Guid.NewGuid(), Now));
    }

    [Fact]
    public void another_clients_invite_is_unknown_even_when_it_is_spent()
    {
        var used = Invite();
        used.IssuedAt = Now.AddMinutes(-1);

        Assert.IsType<JoinDecision.Unknown>(JoinWorkspace.Decide(used, Workspace, Guid.NewGuid(), Now));
    }

    [Fact]
    public void a_used_revoked_or_expired_invite_is_spent()
    {
        var used = Invite();
        used.IssuedAt = Now.AddMinutes(-1);
        var revoked = Invite();
        revoked.RevokedAt = Now.AddMinutes(-1);
        var expired = Invite();
        expired.InviteExpiresAt = Now;

        Assert.IsType<JoinDecision.Spent>(JoinWorkspace.Decide(used, Workspace, Client, Now));
        Assert.IsType<JoinDecision.Spent>(JoinWorkspace.Decide(revoked, Workspace, Client, Now));
        Assert.IsType<JoinDecision.Spent>(JoinWorkspace.Decide(expired, Workspace, Client, Now));
    }
}
