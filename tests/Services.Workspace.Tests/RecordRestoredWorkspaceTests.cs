using Services.Workspace.Workspaces;
using Xunit;

namespace Services.Workspace.Tests;

public sealed class RecordRestoredWorkspaceTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static RestoredWorkspaceRequest Request(Guid? owner = null, string checksum = "AB12") =>
        new(Guid.NewGuid(), "tasks", owner ?? Guid.NewGuid(), "user-1", Created, checksum);

    [Fact]
    public void a_free_id_starts_with_the_archives_owner_app_and_creation_time()
    {
        var request = Request();
        var start = Assert.IsType<RestoreDecision.Start>(RecordRestoredWorkspace.Decide(null, request));
        Assert.Equal((request.OwnerClientId, Created, "tasks", "user-1"),
            (start.Created.OwnerClientId, start.Created.CreatedAt, start.Created.AppId, start.Created.OwnerSubject));
    }

    [Fact]
    public void the_same_restore_again_is_a_retry_and_anything_else_is_an_id_in_use()
    {
        var request = Request();
        var workspace = Workspaces.Workspace.Create(((RestoreDecision.Start)RecordRestoredWorkspace.Decide(null, request)).Created);

        Assert.IsType<RestoreDecision.Retry>(RecordRestoredWorkspace.Decide(workspace, request));
        Assert.IsType<RestoreDecision.Exists>(RecordRestoredWorkspace.Decide(workspace, request with { Checksum = "CD34" }));
        Assert.IsType<RestoreDecision.Exists>(RecordRestoredWorkspace.Decide(workspace, request with { OwnerClientId = Guid.NewGuid() }));
    }
}
