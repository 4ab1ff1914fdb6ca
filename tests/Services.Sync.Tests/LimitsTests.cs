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

    [Theory]
    [InlineData(1, 0, 2, true)]
    [InlineData(2, 0, 2, false)]
    [InlineData(2, 1, 2, true)]
    [InlineData(9, 0, null, true)]
    public void a_client_may_open_a_stream_while_it_stays_within_its_apps_limit(int open, int superseding, int? limit, bool allowed) =>
        Assert.Equal(allowed, LiveStreamLimit.ClientAllows(open, superseding, limit));

    [Theory]
    [InlineData(4000, 1000, 0, 5000L, true)]
    [InlineData(4000, 1001, 0, 5000L, false)]
    [InlineData(5000, 400, 400, 5000L, true)]
    [InlineData(9000, 1, 0, null, true)]
    public void a_write_fits_the_apps_bytes_when_the_app_stays_within_them(long used, long adding, long freeing, long? limit, bool allowed) =>
        Assert.Equal(allowed, AppQuota.Allows(used, adding, freeing, limit));
}
