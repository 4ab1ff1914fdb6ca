using Services.Workspace.Workspaces;
using SyncEngine.Contracts.Auth;
using Xunit;

namespace Services.Workspace.Tests;

public sealed class RevokeMasterTokensTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid WorkspaceId = Guid.NewGuid();
    private static readonly Guid Owner = Guid.NewGuid();

    private static Workspaces.Workspace Claimed() =>
        Workspaces.Workspace.Create(new WorkspaceCreated(WorkspaceId, Owner, "k", Now.AddHours(-1)));

    [Fact]
    public void ending_master_tokens_appends_one_entry_naming_them_and_the_owner()
    {
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());

        var ended = Assert.IsType<MasterTokensEnded>(Assert.Single(RevokeMasterTokens.Decide(Claimed(), new MasterTokensRevoked(WorkspaceId, Owner, [a, b], Now))));

        Assert.Equal([a, b], ended.TokenIds);
        Assert.Equal((Owner, Now), (ended.RevokedBy, ended.At));
        Assert.Equal(new HistoryEntry("masters-revoked", Now, Owner, Owner, null, null), GetWorkspaceHistory.Entry(ended));
    }

    [Fact]
    public void a_redelivered_message_appends_nothing()
    {
        var workspace = Claimed();
        var tokens = new[] { Guid.NewGuid(), Guid.NewGuid() };
        workspace.Apply(new MasterTokensEnded(tokens, Owner, Now));

        Assert.Empty(RevokeMasterTokens.Decide(workspace, new MasterTokensRevoked(WorkspaceId, Owner, tokens, Now)));
    }

    [Fact]
    public void only_tokens_not_yet_ended_are_appended()
    {
        var workspace = Claimed();
        var (old, fresh) = (Guid.NewGuid(), Guid.NewGuid());
        workspace.Apply(new MasterTokensEnded([old], Owner, Now));

        var ended = Assert.IsType<MasterTokensEnded>(Assert.Single(
            RevokeMasterTokens.Decide(workspace, new MasterTokensRevoked(WorkspaceId, Owner, [old, fresh], Now.AddMinutes(1)))));

        Assert.Equal([fresh], ended.TokenIds);
    }
}
