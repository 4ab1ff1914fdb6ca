using System.Net;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;
using static SyncEngine.Testing.TestData;

namespace Services.Sync.Tests.Integration;

public sealed class PushAndPullTests(SyncService sync)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task pushed_changes_come_back_byte_for_byte_and_a_client_one_behind_gets_only_the_last()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var changes = Enumerable.Range(1, 5).Select(i => Bytes(1000 + i, i)).ToList();
        foreach (var (change, index) in changes.Select((c, i) => (c, i)))
        {
            Assert.Equal(index + 1, await sync.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct));
        }

        var all = await sync.Api.PullAsync(master, workspaceId, after: 0, Ct);
        var last = await sync.Api.PullAsync(master, workspaceId, after: 4, Ct);
        var nothing = await sync.Api.PullAsync(master, workspaceId, after: 5, Ct);

        Assert.Equal(5, all.Head);
        Assert.Equal(changes, all.Frames.Select(f => f.Data));
        Assert.Equal([1L, 2, 3, 4, 5], all.Frames.Select(f => f.Seq));
        Assert.Equal(changes[4], Assert.Single(last.Frames).Data);
        Assert.Equal(13 + changes[4].Length, last.BodyBytes);
        Assert.Empty(nothing.Frames);
    }

    [Fact]
    public async Task the_pull_body_is_byte_for_byte_the_worked_example_of_the_protocol_document()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await sync.Api.PushAsync(master, workspaceId, "hi"u8.ToArray(), Guid.NewGuid(), 1, Ct);
        await sync.Api.PushAsync(master, workspaceId, "!"u8.ToArray(), Guid.NewGuid(), 1, Ct);

        using var response = await sync.Http.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", master, Ct);

        Assert.Equal("application/vnd.syncengine.changes", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("2", Assert.Single(response.Headers.GetValues("Sync-Head")));
        Assert.Equal(Convert.FromHexString("0200000000000000010000000268690200000000000000020000000121"), await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task a_replayed_push_returns_the_same_seq_and_a_reused_key_with_other_bytes_is_refused()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var key = Guid.NewGuid();
        var first = await sync.Api.PushAsync(master, workspaceId, Bytes(100, 1), key, 1, Ct);

        var replay = await sync.Api.PushAsync(master, workspaceId, Bytes(100, 1), key, 1, Ct);
        var reused = await Assert.ThrowsAsync<SyncEngineApiException>(() => sync.Api.PushAsync(master, workspaceId, Bytes(100, 2), key, 1, Ct));

        Assert.Equal(first, replay);
        Assert.Equal((HttpStatusCode.Conflict, "idempotency-conflict"), (reused.Status, reused.Code));
        var pulled = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(1, pulled.Head);
        Assert.Equal(Bytes(100, 1), Assert.Single(pulled.Frames).Data);
    }

    [Fact]
    public async Task concurrent_pushers_get_gap_free_sequence_numbers()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        var changes = Enumerable.Range(0, 50).Select(i => Bytes(512 + i, i)).ToList();

        var seqs = await Task.WhenAll(changes.Select(change => sync.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct)));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), seqs.Order());
        var pulled = await sync.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), pulled.Frames.Select(f => f.Seq));
        foreach (var (seq, change) in seqs.Zip(changes))
        {
            Assert.Equal(change, pulled.Frames[(int)seq - 1].Data);
        }
    }

    [Fact]
    public async Task a_change_over_the_configured_limit_or_empty_or_without_a_key_is_refused_and_one_at_the_limit_is_stored()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();

        // Under the 4 MiB default, over the configured limit: refused whether declared or streamed.
        using var declared = await sync.PushAsync(workspaceId, master, new ByteArrayContent(new byte[SyncService.MaxChangeBytes + 1]));
        var streamedBody = new StreamContent(new MemoryStream(new byte[SyncService.MaxChangeBytes + 1]));
        using var streamed = await sync.PushAsync(workspaceId, master, streamedBody);
        using var empty = await sync.PushAsync(workspaceId, master, []);
        using var noKey = await sync.PushAsync(workspaceId, master, new ByteArrayContent(Bytes(10, 1)), withoutKey: true);

        var problem = await Problems.AssertProblem(declared, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.Contains(SyncService.MaxChangeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString());
        await Problems.AssertProblem(streamed, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        await Problems.AssertProblem(empty, HttpStatusCode.BadRequest, "invalid-request");
        await Problems.AssertProblem(noKey, HttpStatusCode.BadRequest, "invalid-request");
        Assert.Equal(0, (await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Head);

        var atLimit = Enumerable.Range(0, SyncService.MaxChangeBytes).Select(i => (byte)(i % 253)).ToArray();
        Assert.Equal(1, await sync.Api.PushAsync(master, workspaceId, atLimit, Guid.NewGuid(), 1, Ct));
        Assert.Equal(atLimit, Assert.Single((await sync.Api.PullAsync(master, workspaceId, 0, Ct)).Frames).Data);
    }

    [Fact]
    public async Task read_tokens_pull_but_cannot_push()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();
        await sync.Api.PushAsync(master, workspaceId, Bytes(50, 1), Guid.NewGuid(), 1, Ct);
        var (_, _, readToken) = sync.NewMember(workspaceId, "read");
        var (_, _, writeToken) = sync.NewMember(workspaceId, "read_write");

        Assert.Single((await sync.Api.PullAsync(readToken, workspaceId, 0, Ct)).Frames);
        using var readPush = await sync.PushAsync(workspaceId, readToken, Bytes(10, 1));
        await Problems.AssertProblem(readPush, HttpStatusCode.Forbidden, "forbidden");
        using var readSnapshot = await sync.UploadAsync(workspaceId, readToken, Bytes(10, 1), covers: 1);
        await Problems.AssertProblem(readSnapshot, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(2, await sync.Api.PushAsync(writeToken, workspaceId, Bytes(10, 2), Guid.NewGuid(), 1, Ct));
    }

    [Fact]
    public async Task a_pull_of_an_empty_workspace_is_no_content_with_head_zero()
    {
        var (workspaceId, _, master) = await sync.NewWorkspaceAsync();

        using var response = await sync.Http.SendAsync(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", master, Ct);

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent, $"answered {response.StatusCode}");
        Assert.Equal("0", Assert.Single(response.Headers.GetValues("Sync-Head")));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));
    }
}
