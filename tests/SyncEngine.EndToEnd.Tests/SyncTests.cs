using System.Net;
using System.Net.Http.Headers;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

[Collection(SyncEngineCollection.Name)]
public sealed class SyncTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Vector(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "LoroVectors", name));

    private static byte[] Bytes(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)((i * 31 + seed) % 251)).ToArray();

    private async Task<HttpResponseMessage> Push(Guid workspaceId, string? token, HttpContent body, Guid? key = null, string? version = "1")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes") { Content = body };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        request.Headers.TryAddWithoutValidation("Idempotency-Key", (key ?? Guid.NewGuid()).ToString());
        if (version is not null)
        {
            request.Headers.TryAddWithoutValidation("Sync-Schema-Version", version);
        }

        return await app.Gateway.SendAsync(request, Ct);
    }

    [Fact]
    public async Task pushed_changes_come_back_byte_for_byte_and_a_client_one_behind_gets_only_the_last()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var changes = Enumerable.Range(1, 5).Select(i => Bytes(1000 + i, i)).ToList();
        foreach (var (change, index) in changes.Select((c, i) => (c, i)))
        {
            Assert.Equal(index + 1, await app.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct));
        }

        var all = await app.Api.PullAsync(master, workspaceId, after: 0, Ct);
        var last = await app.Api.PullAsync(master, workspaceId, after: 4, Ct);
        var nothing = await app.Api.PullAsync(master, workspaceId, after: 5, Ct);

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
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(master, workspaceId, "hi"u8.ToArray(), Guid.NewGuid(), 1, Ct);
        await app.Api.PushAsync(master, workspaceId, "!"u8.ToArray(), Guid.NewGuid(), 1, Ct);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", master);
        using var response = await app.Gateway.SendAsync(request, Ct);

        Assert.Equal("application/vnd.syncengine.changes", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("2", Assert.Single(response.Headers.GetValues("Sync-Head")));
        Assert.Equal(Convert.FromHexString("0200000000000000010000000268690200000000000000020000000121"), await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task a_replayed_push_returns_the_same_seq_and_a_reused_key_with_other_bytes_is_refused()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var key = Guid.NewGuid();
        var first = await app.Api.PushAsync(master, workspaceId, Bytes(100, 1), key, 1, Ct);

        var replay = await app.Api.PushAsync(master, workspaceId, Bytes(100, 1), key, 1, Ct);
        var reused = await Assert.ThrowsAsync<SyncEngineApiException>(() => app.Api.PushAsync(master, workspaceId, Bytes(100, 2), key, 1, Ct));

        Assert.Equal(first, replay);
        Assert.Equal((HttpStatusCode.Conflict, "idempotency-conflict"), (reused.Status, reused.Code));
        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(1, pulled.Head);
        Assert.Equal(Bytes(100, 1), Assert.Single(pulled.Frames).Data);
    }

    [Fact]
    public async Task the_schema_version_gate_refuses_older_apps_and_moves_forward_with_newer_ones()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        using var missing = await Push(workspaceId, master, new ByteArrayContent(Bytes(10, 1)), version: null);
        await Problems.AssertProblem(missing, HttpStatusCode.BadRequest, "missing-version");
        using var garbage = await Push(workspaceId, master, new ByteArrayContent(Bytes(10, 1)), version: "two");
        await Problems.AssertProblem(garbage, HttpStatusCode.BadRequest, "invalid-request");

        await app.Api.PushAsync(master, workspaceId, Bytes(10, 1), Guid.NewGuid(), 2, Ct);
        using var older = await Push(workspaceId, master, new ByteArrayContent(Bytes(10, 2)), version: "1");
        var problem = await Problems.AssertProblem(older, HttpStatusCode.Conflict, "outdated-version");
        Assert.Equal(2, problem.GetProperty("currentVersion").GetInt32());
        await app.Api.PushAsync(master, workspaceId, Bytes(10, 3), Guid.NewGuid(), 3, Ct);

        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(3, pulled.SchemaVersion);
        Assert.Equal([Bytes(10, 1), Bytes(10, 3)], pulled.Frames.Select(f => f.Data));
    }

    [Fact]
    public async Task oversized_and_empty_changes_are_refused_and_store_nothing()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);

        using var declared = await Push(workspaceId, master, new ByteArrayContent(new byte[5 * 1024 * 1024]));
        var chunkedBody = new StreamContent(new MemoryStream(new byte[5 * 1024 * 1024]));
        using var chunkedRequest = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes") { Content = chunkedBody };
        chunkedRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", master);
        chunkedRequest.Headers.TransferEncodingChunked = true;
        chunkedRequest.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
        chunkedRequest.Headers.TryAddWithoutValidation("Sync-Schema-Version", "1");
        using var chunked = await app.Gateway.SendAsync(chunkedRequest, Ct);
        using var empty = await Push(workspaceId, master, new ByteArrayContent([]));
        using var noKey = await app.Gateway.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes")
        {
            Content = new ByteArrayContent(Bytes(10, 1)),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", master) },
        }, Ct);

        await Problems.AssertProblem(declared, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        await Problems.AssertProblem(chunked, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        await Problems.AssertProblem(empty, HttpStatusCode.BadRequest, "invalid-request");
        await Problems.AssertProblem(noKey, HttpStatusCode.BadRequest, "invalid-request");
        Assert.Equal(0, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }

    [Fact]
    public async Task loro_exports_are_checked_and_a_corrupt_one_is_refused_while_other_formats_pass()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var snapshot = Vector("snapshot.bin");
        var update = Vector("update.bin");
        var corrupt = update.ToArray();
        corrupt[^1] ^= 0xFF;
        var truncated = snapshot[..30];

        await app.Api.PushAsync(master, workspaceId, update, Guid.NewGuid(), 1, Ct);
        await app.Api.PushAsync(master, workspaceId, LoroExports.Padded(update, 10), Guid.NewGuid(), 1, Ct);
        // Another app's format in a workspace of its own: a workspace's first change fixes its format.
        var (otherWorkspace, _, otherMaster) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(otherMaster, otherWorkspace, "{\"some\":\"other app's format\"}"u8.ToArray(), Guid.NewGuid(), 1, Ct);
        using var corrupted = await Push(workspaceId, master, new ByteArrayContent(corrupt));
        using var cut = await Push(workspaceId, master, new ByteArrayContent(truncated));
        await app.Api.UploadSnapshotAsync(master, workspaceId, snapshot, covers: 2, Ct);
        using var corruptSnapshot = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/snapshots") { Content = new ByteArrayContent(corrupt) };
        corruptSnapshot.Headers.Authorization = new AuthenticationHeaderValue("Bearer", master);
        corruptSnapshot.Headers.TryAddWithoutValidation("Sync-Covers", "2");
        using var snapshotRefused = await app.Gateway.SendAsync(corruptSnapshot, Ct);

        await Problems.AssertProblem(corrupted, HttpStatusCode.UnprocessableEntity, "invalid-document");
        await Problems.AssertProblem(cut, HttpStatusCode.UnprocessableEntity, "invalid-document");
        await Problems.AssertProblem(snapshotRefused, HttpStatusCode.UnprocessableEntity, "invalid-document");
        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(2, pulled.Head);
        Assert.Equal(update, pulled.Frames[0].Data);
    }

    [Fact]
    public async Task fifty_concurrent_pushers_get_gap_free_sequence_numbers_across_replicas()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var changes = Enumerable.Range(0, 50).Select(i => Bytes(512 + i, i)).ToList();
        var replicas = await app.SyncReplicaAddressesAsync(Ct);
        Assert.True(replicas.Count >= 2, $"expected two Sync replicas, found {replicas.Count}");
        var before = await ReplicaMetrics.ScrapeAsync(replicas, Ct);

        var seqs = await Task.WhenAll(changes.Select(change => app.Api.PushAsync(master, workspaceId, change, Guid.NewGuid(), 1, Ct)));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), seqs.Order());
        // Each replica counts the pushes it committed: both must have taken some of these, or the test proved nothing
        // about seqs across replicas. (Nothing else pushes while it runs: the collection runs one test at a time.)
        List<double> Taken(IReadOnlyDictionary<Uri, string> after) =>
            replicas.Select(r => ReplicaMetrics.Sum(after[r], "syncengine_sync_pushes_total") - ReplicaMetrics.Sum(before[r], "syncengine_sync_pushes_total")).ToList();
        // The exporter caches a scrape for a moment: poll until the counters show the pushes.
        var taken = Taken(await Eventually.Until(token => ReplicaMetrics.ScrapeAsync(replicas, token), a => Taken(a).Sum() >= 50, TimeSpan.FromSeconds(10), Ct));
        Assert.Equal(50, taken.Sum());
        Assert.All(taken, count => Assert.True(count > 0, $"pushes committed per replica: {string.Join(", ", taken)}"));
        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), pulled.Frames.Select(f => f.Seq));
        foreach (var (seq, change) in seqs.Zip(changes))
        {
            Assert.Equal(change, pulled.Frames[(int)seq - 1].Data);
        }
    }

    [Fact]
    public async Task read_tokens_pull_but_cannot_push_and_revoked_tokens_do_neither()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        await app.Api.PushAsync(master, workspaceId, Bytes(50, 1), Guid.NewGuid(), 1, Ct);
        var reader = Guid.NewGuid();
        var readToken = (await app.Api.JoinAsync(workspaceId, reader, (await app.Api.GrantAsync(master, workspaceId, reader, "read", ct: Ct)).InviteCode, Ct)).Token;
        var writer = Guid.NewGuid();
        var writeToken = (await app.Api.JoinAsync(workspaceId, writer, (await app.Api.GrantAsync(master, workspaceId, writer, "read_write", ct: Ct)).InviteCode, Ct)).Token;

        Assert.Single((await app.Api.PullAsync(readToken, workspaceId, 0, Ct)).Frames);
        using var readPush = await Push(workspaceId, readToken, new ByteArrayContent(Bytes(10, 1)));
        await Problems.AssertProblem(readPush, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(2, await app.Api.PushAsync(writeToken, workspaceId, Bytes(10, 2), Guid.NewGuid(), 1, Ct));

        await app.Api.RevokeAsync(master, workspaceId, writer, Ct);
        var status = await Eventually.Until(async token =>
            {
                try { await app.Api.PullAsync(writeToken, workspaceId, 0, token); return HttpStatusCode.OK; }
                catch (SyncEngineApiException e) { return e.Status; }
            },
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        using var refusedPush = await Push(workspaceId, writeToken, new ByteArrayContent(Bytes(10, 3)));
        await Problems.AssertProblem(refusedPush, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(2, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
    }
}
