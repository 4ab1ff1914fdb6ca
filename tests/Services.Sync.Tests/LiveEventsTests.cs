using Microsoft.Extensions.Primitives;
using Services.Sync.Live;
using Xunit;

namespace Services.Sync.Tests;

public sealed class LiveEventsTests
{
    [Fact]
    public void a_stream_resumes_after_its_last_event_id()
    {
        Assert.Equal(4, LiveEvents.ResumeAfter("4", head: 9));
        Assert.Equal(0, LiveEvents.ResumeAfter("0", head: 9));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("-1")]
    [InlineData("abc")]
    public void without_a_usable_last_event_id_a_stream_starts_with_the_current_head(string? lastEventId) =>
        Assert.Equal(8, LiveEvents.ResumeAfter(new StringValues(lastEventId), head: 9));

    [Fact]
    public void one_head_event_per_seq_after_the_last_sent_oldest_first() =>
        Assert.Equal(
            "id: 4\nevent: head\ndata: {\"seq\":4}\n\nid: 5\nevent: head\ndata: {\"seq\":5}\n\n",
            LiveEvents.HeadEvents(lastSent: 3, head: 5));

    [Fact]
    public void nothing_new_is_no_event() =>
        Assert.Equal("", LiveEvents.HeadEvents(lastSent: 5, head: 5));

    [Fact]
    public void far_behind_only_the_newest_thousand_heads_are_sent()
    {
        var events = LiveEvents.HeadEvents(lastSent: 0, head: 5000).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(LiveEvents.MaxHeadEventsAtOnce, events.Length);
        Assert.StartsWith("id: 4001\n", events[0], StringComparison.Ordinal);
        Assert.StartsWith("id: 5000\n", events[^1], StringComparison.Ordinal);
    }
}
