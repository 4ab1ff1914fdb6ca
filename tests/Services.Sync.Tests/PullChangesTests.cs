using Microsoft.Extensions.Primitives;
using Services.Sync.Changes;
using Xunit;

namespace Services.Sync.Tests;

public sealed class PullChangesTests
{
    [Fact]
    public void after_is_the_callers_last_seq_and_absent_means_everything()
    {
        Assert.Equal(Validated.Valid(12L), PullChanges.Validate("12"));
        Assert.Equal(Validated.Valid(0L), PullChanges.Validate(StringValues.Empty));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("x")]
    [InlineData("")]
    public void an_after_that_is_not_a_non_negative_integer_is_an_invalid_request(string after)
    {
        var problem = Assert.IsType<Validated<long>.Invalid>(PullChanges.Validate(after)).Problem;

        Assert.Equal(400, problem.Status);
        Assert.Equal("invalid-request", problem.Extensions["code"]);
    }

    [Fact]
    public void a_repeated_after_is_an_invalid_request() =>
        Assert.IsType<Validated<long>.Invalid>(PullChanges.Validate(new StringValues(["1", "2"])));

    [Fact]
    public void a_caller_at_or_past_the_head_is_up_to_date()
    {
        Assert.IsType<PullPlan.UpToDate>(PullChanges.Decide(after: 10, head: 10, prunedThrough: 0, newest: null));
        Assert.IsType<PullPlan.UpToDate>(PullChanges.Decide(after: 0, head: 0, prunedThrough: 0, newest: null));
    }

    [Fact]
    public void without_a_snapshot_the_caller_gets_the_changes() =>
        Assert.IsType<PullPlan.Changes>(PullChanges.Decide(after: 3, head: 10, prunedThrough: 0, newest: null));

    [Fact]
    public void a_client_one_change_behind_gets_that_change_rather_than_a_larger_snapshot() =>
        Assert.IsType<PullPlan.Changes>(PullChanges.Decide(9, 10, 0, new NewestSnapshot(Covers: 10, Bytes: 5_000, ReplacedBytes: 200)));

    [Fact]
    public void the_snapshot_replaces_changes_that_would_cost_more_bytes_than_it() =>
        Assert.Equal(new PullPlan.SnapshotThenChanges(8), PullChanges.Decide(0, 10, 0, new NewestSnapshot(8, Bytes: 5_000, ReplacedBytes: 5_001)));

    [Fact]
    public void changes_costing_exactly_the_snapshots_bytes_are_sent_as_changes() =>
        Assert.IsType<PullPlan.Changes>(PullChanges.Decide(0, 10, 0, new NewestSnapshot(8, Bytes: 5_000, ReplacedBytes: 5_000)));

    [Fact]
    public void a_caller_behind_the_pruned_point_gets_the_snapshot_however_small_the_changes() =>
        Assert.Equal(new PullPlan.SnapshotThenChanges(8), PullChanges.Decide(2, 10, prunedThrough: 5, new NewestSnapshot(8, 5_000, 10)));

    [Fact]
    public void a_snapshot_covering_no_more_than_the_caller_has_is_never_sent() =>
        Assert.IsType<PullPlan.Changes>(PullChanges.Decide(8, 10, 0, new NewestSnapshot(8, Bytes: 10, ReplacedBytes: 5_000)));
}
