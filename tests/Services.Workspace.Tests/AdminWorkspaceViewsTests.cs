using Services.Workspace.Workspaces;
using Xunit;

namespace Services.Workspace.Tests;

public sealed class AdminWorkspaceViewsTests
{
    [Theory]
    [InlineData(null, null, 50)]
    [InlineData("1", null, 1)]
    [InlineData("500", null, 500)]
    public void a_page_is_fifty_by_default_and_at_most_five_hundred(string? limit, string? cursor, int expected) =>
        Assert.Equal((expected, Guid.Empty), AdminWorkspaceViews.Page(limit, cursor));

    [Theory]
    [InlineData("0", null)]
    [InlineData("501", null)]
    [InlineData("-3", null)]
    [InlineData("abc", null)]
    [InlineData("", null)]
    [InlineData(" 5", null)]
    [InlineData(null, "not-a-cursor")]
    [InlineData(null, "4f1c2c6e-0d7e-4d43-9a8e-5b1f0e2a7c11")]
    public void a_malformed_limit_or_cursor_is_no_page(string? limit, string? cursor) =>
        Assert.Null(AdminWorkspaceViews.Page(limit, cursor));

    [Fact]
    public void a_cursor_is_the_previous_pages_last_id()
    {
        var last = Guid.NewGuid();
        Assert.Equal((10, last), AdminWorkspaceViews.Page("10", last.ToString("N")));
    }

    [Fact]
    public void an_item_counts_members_with_access_and_takes_sizes_from_sync_or_nothing_stored()
    {
        var workspace = new Workspaces.Workspace { Id = Guid.NewGuid(), OwnerClientId = Guid.NewGuid(), CreatedAt = DateTimeOffset.UnixEpoch };
        var at = DateTimeOffset.UnixEpoch.AddDays(1);
        workspace.Apply(new MemberGranted(Guid.NewGuid(), Guid.NewGuid(), "read", null, workspace.OwnerClientId, at));
        var revoked = Guid.NewGuid();
        workspace.Apply(new MemberGranted(revoked, Guid.NewGuid(), "read", null, workspace.OwnerClientId, at));
        workspace.Apply(new MemberRevoked(revoked, workspace.OwnerClientId, at.AddHours(1)));

        var stored = AdminWorkspaceViews.Item(workspace, new SyncStats(workspace.Id, 7, 2, 900, at, []));
        var unknownToSync = AdminWorkspaceViews.Item(workspace, null);

        Assert.Equal((7L, 900L, (DateTimeOffset?)at, 1), (stored.Head, stored.StoredBytes, stored.LastChangeAt, stored.Members));
        Assert.Equal((0L, 0L, (DateTimeOffset?)null), (unknownToSync.Head, unknownToSync.StoredBytes, unknownToSync.LastChangeAt));
    }
}
