using Services.Workspace.Workspaces;
using Xunit;

namespace Services.Workspace.Tests;

public sealed class WorkspaceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid WorkspaceId = Guid.NewGuid();
    private static readonly Guid Owner = Guid.NewGuid();
    private static readonly Guid Client = Guid.NewGuid();

    private static Workspaces.Workspace NewWorkspace() => Workspaces.Workspace.Create(new WorkspaceCreated(WorkspaceId, Owner, "key", Now));

    [Fact]
    public void created_sets_id_owner_claim_key_and_time_with_no_members()
    {
        var workspace = NewWorkspace();

        Assert.Equal(WorkspaceId, workspace.Id);
        Assert.Equal(Owner, workspace.OwnerClientId);
        Assert.Equal("key", workspace.ClaimKeyHash);
        Assert.Null(workspace.ClaimKey);
        Assert.Equal(Now, workspace.CreatedAt);
        Assert.Empty(workspace.Members);
    }

    [Fact]
    public void granted_adds_a_member_with_scope_expiry_and_token()
    {
        var workspace = NewWorkspace();
        var tokenId = Guid.NewGuid();

        workspace.Apply(new MemberGranted(Client, tokenId, "read", Now.AddDays(1), Owner, Now.AddMinutes(1)));

        var member = Assert.Single(workspace.Members);
        Assert.Equal(Client, member.ClientId);
        Assert.Equal("read", member.Scope);
        Assert.Equal(Now.AddDays(1), member.ExpiresAt);
        Assert.Equal(Now.AddMinutes(1), member.GrantedAt);
        Assert.Equal([tokenId], member.TokenIds);
        Assert.False(member.IsRevoked());
    }

    [Fact]
    public void a_newer_grant_replaces_scope_and_expiry_and_keeps_both_tokens()
    {
        var workspace = NewWorkspace();
        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read", Now.AddDays(1), Owner, Now.AddMinutes(1)));

        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read_write", null, Owner, Now.AddMinutes(2)));

        var member = Assert.Single(workspace.Members);
        Assert.Equal("read_write", member.Scope);
        Assert.Null(member.ExpiresAt);
        Assert.Equal(2, member.TokenIds.Count);
    }

    [Fact]
    public void an_older_grant_arriving_late_keeps_the_newer_scope()
    {
        var workspace = NewWorkspace();
        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read_write", null, Owner, Now.AddMinutes(2)));

        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read", Now.AddDays(1), Owner, Now.AddMinutes(1)));

        var member = Assert.Single(workspace.Members);
        Assert.Equal("read_write", member.Scope);
        Assert.Equal(Now.AddMinutes(2), member.GrantedAt);
        Assert.Equal(2, member.TokenIds.Count);
    }

    [Fact]
    public void revoked_marks_the_member_revoked_at_that_time()
    {
        var workspace = NewWorkspace();
        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read", null, Owner, Now.AddMinutes(1)));

        workspace.Apply(new MemberRevoked(Client, Owner, Now.AddMinutes(5)));

        var member = Assert.Single(workspace.Members);
        Assert.Equal(Now.AddMinutes(5), member.RevokedAt());
        Assert.True(member.IsRevoked());
    }

    [Fact]
    public void an_older_revocation_does_not_move_the_revocation_back()
    {
        var workspace = NewWorkspace();
        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read", null, Owner, Now.AddMinutes(1)));
        workspace.Apply(new MemberRevoked(Client, Owner, Now.AddMinutes(5)));

        workspace.Apply(new MemberRevoked(Client, Owner, Now.AddMinutes(3)));

        Assert.Equal(Now.AddMinutes(5), Assert.Single(workspace.Members).RevokedAt());
    }

    [Fact]
    public void a_grant_after_the_revocation_gives_access_back()
    {
        var workspace = NewWorkspace();
        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read", null, Owner, Now.AddMinutes(1)));
        workspace.Apply(new MemberRevoked(Client, Owner, Now.AddMinutes(5)));

        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read_write", null, Owner, Now.AddMinutes(6)));

        var member = Assert.Single(workspace.Members);
        Assert.False(member.IsRevoked());
        Assert.Equal("read_write", member.Scope);
    }

    [Fact]
    public void a_grant_made_before_the_revocation_but_arriving_after_it_stays_revoked()
    {
        var workspace = NewWorkspace();
        workspace.Apply(new MemberRevoked(Client, Owner, Now.AddMinutes(5)));

        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read", null, Owner, Now.AddMinutes(1)));

        var member = Assert.Single(workspace.Members);
        Assert.Equal("read", member.Scope);
        Assert.Equal(Now.AddMinutes(5), member.RevokedAt());
    }

    [Fact]
    public void a_revocation_dated_before_the_newest_grant_leaves_the_member_active()
    {
        var workspace = NewWorkspace();
        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read", null, Owner, Now.AddMinutes(6)));

        workspace.Apply(new MemberRevoked(Client, Owner, Now.AddMinutes(5)));

        Assert.False(Assert.Single(workspace.Members).IsRevoked());
    }

    [Fact]
    public void a_revocation_of_an_unknown_client_records_a_revoked_member_without_scope()
    {
        var workspace = NewWorkspace();

        workspace.Apply(new MemberRevoked(Client, Owner, Now.AddMinutes(5)));

        var member = Assert.Single(workspace.Members);
        Assert.Null(member.Scope);
        Assert.Equal(Now.AddMinutes(5), member.RevokedAt());
    }
}
