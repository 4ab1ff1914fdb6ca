using Services.Auth.Tokens;
using Services.Auth.Workspaces;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.Tokens;
using Wolverine.Marten;
using Xunit;

namespace Services.Auth.Tests;

/// <summary>The owner's record and master tokens: IssueMasterTokenHandler.Decide and WorkspaceClaimedHandler.</summary>
public sealed class MasterTokenTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid Workspace = Guid.NewGuid();
    private static readonly Guid Owner = Guid.NewGuid();

    [Fact]
    public void a_master_token_is_read_write_never_expires_and_is_granted_by_the_owner_to_itself()
    {
        var tokenId = Guid.NewGuid();

        var grant = IssueMasterTokenHandler.Decide(new IssueMasterToken(Workspace, Owner), new WorkspaceOwner(Workspace, Owner, Now), tokenId, Now);

        Assert.Null(grant.RecordOwner);
        Assert.Equal(
            (tokenId, Workspace, Owner, Scopes.ReadWrite, true, Owner, Now),
            (grant.Access.Id, grant.Access.WorkspaceId, grant.Access.ClientId, grant.Access.Scope, grant.Access.IsMaster, grant.Access.GrantedBy, grant.Access.GrantedAt));
        Assert.Null(grant.Access.ExpiresAt);
        Assert.Null(grant.Access.InviteCodeHash);
    }

    [Fact]
    public void the_owner_is_recorded_with_the_first_master_token_when_workspace_claimed_has_not_arrived_yet()
    {
        var grant = IssueMasterTokenHandler.Decide(new IssueMasterToken(Workspace, Owner), owner: null, Guid.NewGuid(), Now);

        Assert.Equal(new WorkspaceOwner(Workspace, Owner, Now), grant.RecordOwner);
    }

    [Fact]
    public void workspace_claimed_stores_the_owner_as_claimed()
    {
        var op = WorkspaceClaimedHandler.Decide(new WorkspaceClaimed(Workspace, Owner, Now), erased: false);

        Assert.Equal(new WorkspaceOwner(Workspace, Owner, Now), Assert.IsType<StoreDoc<WorkspaceOwner>>(op).Document);
    }

    [Fact]
    public void workspace_claimed_after_the_workspace_was_erased_stores_nothing() =>
        Assert.IsNotType<StoreDoc<WorkspaceOwner>>(WorkspaceClaimedHandler.Decide(new WorkspaceClaimed(Workspace, Owner, Now), erased: true));
}
