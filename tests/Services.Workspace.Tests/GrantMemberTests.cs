using Services.Workspace.Workspaces;
using SyncEngine.Contracts.Auth;
using Xunit;

namespace Services.Workspace.Tests;

public sealed class GrantMemberTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid WorkspaceId = Guid.NewGuid();
    private static readonly Guid Owner = Guid.NewGuid();
    private static readonly Guid Client = Guid.NewGuid();

    private static Workspaces.Workspace NewWorkspace() => Workspaces.Workspace.Create(new WorkspaceCreated(WorkspaceId, Owner, "k", Now.AddHours(-1)));

    private static AccessGranted Granted(Guid tokenId, string scope = "read_write", DateTimeOffset? at = null) =>
        new(WorkspaceId, tokenId, Client, scope, Now.AddDays(7), Owner, at ?? Now);

    [Fact]
    public void a_grant_appends_member_granted_with_everything_auth_said()
    {
        var tokenId = Guid.NewGuid();

        var events = GrantMember.Decide(NewWorkspace(), Granted(tokenId));

        Assert.Equal([new MemberGranted(Client, tokenId, "read_write", Now.AddDays(7), Owner, Now)], events);
    }

    [Fact]
    public void a_redelivered_grant_appends_nothing()
    {
        var workspace = NewWorkspace();
        var granted = Granted(Guid.NewGuid());
        foreach (var e in GrantMember.Decide(workspace, granted).Cast<MemberGranted>())
        {
            workspace.Apply(e);
        }

        Assert.Empty(GrantMember.Decide(workspace, granted));
    }

    [Fact]
    public void a_second_grant_to_the_same_client_with_a_new_token_is_appended()
    {
        var workspace = NewWorkspace();
        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read", null, Owner, Now.AddMinutes(-1)));

        var events = GrantMember.Decide(workspace, Granted(Guid.NewGuid()));

        Assert.Single(events);
    }

    [Fact]
    public void a_redelivered_grant_appends_nothing_even_after_the_client_was_revoked()
    {
        var workspace = NewWorkspace();
        var granted = Granted(Guid.NewGuid());
        workspace.Apply(new MemberGranted(Client, granted.TokenId, granted.Scope, granted.ExpiresAt, Owner, granted.GrantedAt));
        workspace.Apply(new MemberRevoked(Client, Owner, Now.AddMinutes(1)));

        Assert.Empty(GrantMember.Decide(workspace, granted));
    }
}
