using Services.Workspace.Workspaces;
using Xunit;

namespace Services.Workspace.Tests;

public sealed class QueryViewTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid WorkspaceId = Guid.NewGuid();
    private static readonly Guid Owner = Guid.NewGuid();
    private static readonly Guid Reader = Guid.NewGuid();
    private static readonly Guid Writer = Guid.NewGuid();

    private static Workspaces.Workspace WithTwoMembers()
    {
        var workspace = Workspaces.Workspace.Create(new WorkspaceCreated(WorkspaceId, Owner, "k", Now));
        workspace.Apply(new MemberGranted(Writer, Guid.NewGuid(), "read_write", null, Owner, Now.AddMinutes(2)));
        workspace.Apply(new MemberGranted(Reader, Guid.NewGuid(), "read", Now.AddDays(1), Owner, Now.AddMinutes(1)));
        workspace.Apply(new MemberRevoked(Reader, Owner, Now.AddMinutes(3)));
        return workspace;
    }

    [Fact]
    public void the_master_sees_the_members_in_grant_order()
    {
        var view = GetWorkspace.View(WithTwoMembers(), forMaster: true);

        Assert.Equal(WorkspaceId, view.WorkspaceId);
        Assert.Equal(Owner, view.OwnerClientId);
        Assert.Equal(Now, view.CreatedAt);
        Assert.Equal(
            [
                new MemberView(Reader, "read", Now.AddDays(1), Now.AddMinutes(3)),
                new MemberView(Writer, "read_write", null, null),
            ],
            view.Members);
    }

    [Fact]
    public void a_member_does_not_see_the_members()
    {
        var view = GetWorkspace.View(WithTwoMembers(), forMaster: false);

        Assert.Null(view.Members);
    }

    [Fact]
    public void history_entries_name_the_actor_and_the_subject()
    {
        var grantToken = Guid.NewGuid();

        Assert.Equal(
            new HistoryEntry("created", Now, Owner, null, null, null),
            GetWorkspaceHistory.Entry(new WorkspaceCreated(WorkspaceId, Owner, "k", Now)));
        Assert.Equal(
            new HistoryEntry("granted", Now, Owner, Reader, "read", Now.AddDays(1)),
            GetWorkspaceHistory.Entry(new MemberGranted(Reader, grantToken, "read", Now.AddDays(1), Owner, Now)));
        Assert.Equal(
            new HistoryEntry("revoked", Now, Owner, Reader, null, null),
            GetWorkspaceHistory.Entry(new MemberRevoked(Reader, Owner, Now)));
    }

    [Fact]
    public void events_the_history_does_not_know_are_left_out()
    {
        Assert.Null(GetWorkspaceHistory.Entry("something else"));
    }
}
