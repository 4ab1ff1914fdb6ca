using Services.Auth.Invites;
using Services.Auth.Tokens;
using Services.Auth.Workspaces;
using SyncEngine.Contracts.Auth;
using SyncEngine.Tokens;
using Xunit;

namespace Services.Auth.Tests;

public sealed class GrantAccessTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid Workspace = Guid.NewGuid();
    private static readonly Guid Owner = Guid.NewGuid();
    private static readonly Guid Client = Guid.NewGuid();
    private static readonly Guid TokenId = Guid.NewGuid();
    private static readonly TokenHolder Caller = new(Owner, Workspace, Scopes.ReadWrite, IsMaster: true, Guid.NewGuid());
    private static readonly WorkspaceOwner Owned = new(Workspace, Owner, Now.AddDays(-1));
    private const string Code = "invite-code";

    private static GrantDecision Decide(GrantAccessRequest request, WorkspaceOwner? owner = null, TokenHolder? caller = null) =>
        GrantAccess.Decide(Workspace, request, caller ?? Caller, owner ?? Owned, TokenId, Code, Now);

    [Fact]
    public void a_grant_records_the_invite_by_its_hash_and_tells_workspace_everything_it_granted()
    {
        var grant = Assert.IsType<GrantDecision.Grant>(Decide(new GrantAccessRequest(Client, Scopes.Read, ExpiresInSeconds: 3600)));

        Assert.Equal(TokenId, grant.Access.Id);
        Assert.Equal((Workspace, Client, Scopes.Read, Owner, Now), (grant.Access.WorkspaceId, grant.Access.ClientId, grant.Access.Scope, grant.Access.GrantedBy, grant.Access.GrantedAt));
        Assert.False(grant.Access.IsMaster);
        Assert.Null(grant.Access.IssuedAt);
        Assert.Equal(InviteCode.Hash(Code), grant.Access.InviteCodeHash);
        Assert.Equal(new AccessGranted(Workspace, TokenId, Client, Scopes.Read, Now.AddHours(1), Owner, Now), grant.Granted);
        Assert.Equal(
            new AccessGrantedResponse(TokenId, Client, Scopes.Read, Now.AddHours(1), Code, Now.AddHours(1), InviteCode.JoinPath(Workspace, Code)),
            grant.Response);
    }

    [Fact]
    public void the_invite_lasts_its_default_lifetime_or_until_the_grant_expires_if_sooner()
    {
        var forever = Assert.IsType<GrantDecision.Grant>(Decide(new GrantAccessRequest(Client, Scopes.ReadWrite)));
        var longer = Assert.IsType<GrantDecision.Grant>(Decide(new GrantAccessRequest(Client, Scopes.ReadWrite, 30 * 24 * 3600)));
        var shorter = Assert.IsType<GrantDecision.Grant>(Decide(new GrantAccessRequest(Client, Scopes.ReadWrite, 60)));

        Assert.Null(forever.Access.ExpiresAt);
        Assert.Equal(Now + InviteCode.DefaultLifetime, forever.Access.InviteExpiresAt);
        Assert.Equal(Now + InviteCode.DefaultLifetime, longer.Access.InviteExpiresAt);
        Assert.Equal(Now.AddSeconds(60), shorter.Access.InviteExpiresAt);
    }

    [Fact]
    public void granting_the_owner_is_refused_whether_the_owner_record_has_arrived_or_not()
    {
        var ownerAsClient = new GrantAccessRequest(Owner, Scopes.Read);

        Assert.IsType<GrantDecision.OwnerHasAccess>(Decide(ownerAsClient));
        Assert.IsType<GrantDecision.OwnerHasAccess>(GrantAccess.Decide(Workspace, ownerAsClient, Caller, owner: null, TokenId, Code, Now));
    }

    [Fact]
    public void the_owner_record_alone_refuses_granting_the_owner()
    {
        var other = Caller with { ClientId = Guid.NewGuid() };

        Assert.IsType<GrantDecision.OwnerHasAccess>(Decide(new GrantAccessRequest(Owner, Scopes.Read), caller: other));
    }
}
