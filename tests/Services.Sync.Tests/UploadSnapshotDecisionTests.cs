using Services.Sync.Changes;
using Services.Sync.Snapshots;
using Xunit;
using Decision = Services.Sync.Snapshots.UploadSnapshot.Decision;

namespace Services.Sync.Tests;

public sealed class UploadSnapshotDecisionTests
{
    private const string Loro = SyncSchema.LoroFormat;
    private const long Limit = 10_000;

    private static Decision Decide(long covers, long size = 100, string format = Loro, long head = 10, string? workspaceFormat = Loro,
        (long, long)[]? stored = null, long used = 1000) =>
        UploadSnapshot.Decide(covers, size, format, head, workspaceFormat, stored ?? [], used, Limit);

    [Fact]
    public void a_first_snapshot_is_stored_and_frees_nothing() =>
        Assert.Equal(new Decision.Store(null, 0), Decide(5));

    [Fact]
    public void a_snapshot_beyond_the_head_is_refused() =>
        Assert.IsType<Decision.BeyondHead>(Decide(11));

    [Fact]
    public void a_snapshot_of_another_format_than_the_first_change_is_refused()
    {
        Assert.IsType<Decision.WrongFormat>(Decide(5, format: SyncSchema.OpaqueFormat));
        Assert.IsType<Decision.WrongFormat>(Decide(5, format: Loro, workspaceFormat: SyncSchema.OpaqueFormat));
    }

    [Fact]
    public void a_newer_snapshot_keeps_the_newest_stored_one_and_frees_the_rest()
    {
        // Stored: 2 (300 bytes), 4 (400 bytes). A snapshot of 6 keeps 4 and deletes 2.
        Assert.Equal(new Decision.Store(4, 300), Decide(6, stored: [(2, 300), (4, 400)]));
    }

    [Fact]
    public void a_snapshot_for_the_newest_seq_replaces_it_and_keeps_the_one_before()
    {
        Assert.Equal(new Decision.Store(2, 400), Decide(4, stored: [(2, 300), (4, 400)]));
        Assert.Equal(new Decision.Store(null, 400), Decide(4, stored: [(4, 400)]));
    }

    [Fact]
    public void a_snapshot_older_than_the_newest_is_a_conflict_rather_than_stored_and_dropped() =>
        Assert.Equal(new Decision.Outdated(4), Decide(3, stored: [(2, 300), (4, 400)]));

    [Fact]
    public void the_quota_counts_what_the_snapshot_frees()
    {
        // 9_900 used, 400 of it in the snapshot being replaced: 9_900 - 400 + 500 = 10_000 fits exactly, 501 does not.
        Assert.IsType<Decision.Store>(Decide(4, size: 500, stored: [(4, 400)], used: 9_900));
        Assert.IsType<Decision.OverQuota>(Decide(4, size: 501, stored: [(4, 400)], used: 9_900));
    }

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("42", 42L)]
    public void sync_covers_is_the_positive_seq_of_the_last_change_included(string header, long covers) =>
        Assert.Equal(Validated.Valid(covers), UploadSnapshot.Validate(header));

    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("seven")]
    public void a_missing_or_non_positive_sync_covers_is_an_invalid_request(string? header)
    {
        var problem = Assert.IsType<Validated<long>.Invalid>(UploadSnapshot.Validate(header)).Problem;

        Assert.Equal(400, problem.Status);
        Assert.Equal("invalid-request", problem.Extensions["code"]);
    }
}
