using Services.Workspace.Workspaces;
using SyncEngine.Contracts.Auth;
using Xunit;

namespace Services.Workspace.Tests;

public sealed class RevokeMemberTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid WorkspaceId = Guid.NewGuid();
    private static readonly Guid Owner = Guid.NewGuid();
    private static readonly Guid Client = Guid.NewGuid();

    private static Workspaces.Workspace WithMember()
    {
        var workspace = Workspaces.Workspace.Create(new WorkspaceCreated(WorkspaceId, Owner, "k", Now.AddHours(-1)));
        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read", null, Owner, Now.AddMinutes(-30)));
        return workspace;
    }

    private static AccessRevoked Revoked(DateTimeOffset at, Guid? client = null) => new(WorkspaceId, client ?? Client, Owner, at);

    [Fact]
    public void an_access_revoked_sent_before_it_carried_token_ids_still_reads_and_revokes_the_member()
    {
        // As Wolverine's System.Text.Json serializer wrote the four-member record.
        var old = System.Text.Json.JsonSerializer.Deserialize<AccessRevoked>(
            $$"""{"WorkspaceId":"{{WorkspaceId}}","ClientId":"{{Client}}","RevokedBy":"{{Owner}}","RevokedAt":"2026-11-27T10:00:00+00:00"}""")!;

        Assert.Null(old.TokenIds);
        Assert.Equal(Now, old.RevokedAt);
        Assert.Equal([new MemberRevoked(Client, Owner, Now)], RevokeMember.Decide(WithMember(), old));
    }

    [Fact]
    public void revoking_a_member_appends_member_revoked()
    {
        var events = RevokeMember.Decide(WithMember(), Revoked(Now));

        Assert.Equal([new MemberRevoked(Client, Owner, Now)], events);
    }

    [Fact]
    public void a_repeated_revocation_appends_nothing()
    {
        var workspace = WithMember();
        workspace.Apply(new MemberRevoked(Client, Owner, Now));

        Assert.Empty(RevokeMember.Decide(workspace, Revoked(Now)));
    }

    [Fact]
    public void an_older_revocation_than_the_recorded_one_appends_nothing()
    {
        var workspace = WithMember();
        workspace.Apply(new MemberRevoked(Client, Owner, Now));

        Assert.Empty(RevokeMember.Decide(workspace, Revoked(Now.AddSeconds(-5))));
    }

    [Fact]
    public void a_later_revocation_after_a_new_grant_is_appended()
    {
        var workspace = WithMember();
        workspace.Apply(new MemberRevoked(Client, Owner, Now));
        workspace.Apply(new MemberGranted(Client, Guid.NewGuid(), "read", null, Owner, Now.AddMinutes(1)));

        var events = RevokeMember.Decide(workspace, Revoked(Now.AddMinutes(2)));

        Assert.Equal([new MemberRevoked(Client, Owner, Now.AddMinutes(2))], events);
    }

    [Fact]
    public void revoking_a_client_never_granted_is_still_recorded()
    {
        var stranger = Guid.NewGuid();

        var events = RevokeMember.Decide(WithMember(), Revoked(Now, stranger));

        Assert.Equal([new MemberRevoked(stranger, Owner, Now)], events);
    }
}
