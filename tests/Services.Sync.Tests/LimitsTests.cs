using Services.Sync.Changes;
using Services.Sync.Live;
using Xunit;

namespace Services.Sync.Tests;

public sealed class LimitsTests
{
    [Theory]
    [InlineData(0, 2, true)]
    [InlineData(2, 2, true)]
    [InlineData(3, 2, false)]
    [InlineData(int.MaxValue, 2, false)]
    public void a_schema_version_above_the_released_maximum_is_not_allowed(int version, int max, bool allowed) =>
        Assert.Equal(allowed, MaxSchemaVersion.Allows(version, max));

    [Theory]
    [InlineData(900, 100, 0, 1000, true)]
    [InlineData(900, 101, 0, 1000, false)]
    [InlineData(1000, 300, 300, 1000, true)]
    [InlineData(1000, 301, 300, 1000, false)]
    public void a_write_fits_the_workspace_quota_when_what_remains_stays_within_it(long used, long adding, long freeing, long limit, bool allowed) =>
        Assert.Equal(allowed, WorkspaceQuota.Allows(used, adding, freeing, limit));

    [Theory]
    [InlineData(3, 4, 0)]
    [InlineData(4, 4, 0)]
    [InlineData(5, 4, 1)]
    public void a_token_over_its_live_stream_limit_loses_its_oldest_streams(int open, int limit, int closed) =>
        Assert.Equal(closed, LiveStreamLimit.Oldest(open, limit));
}
