using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The encode mode in a Loro export's header (docs/protocol.md, "Loro envelopes"): loro-crdt 1.x writes 3 for snapshots
/// and 4 for updates; a change must be an update, a snapshot a snapshot, and any other mode is refused even when the
/// checksum was recomputed to match.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class LoroEncodeModeTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Vector(string name) => LoroExports.Vector(name);

    private static byte[] WithMode(byte[] export, ushort mode) => LoroExports.WithMode(export, mode);

    private async Task<HttpResponseMessage> SendAsync(Guid workspaceId, string token, string route, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/{route}") { Content = new ByteArrayContent(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
        request.Headers.TryAddWithoutValidation("Sync-Schema-Version", "1");
        request.Headers.TryAddWithoutValidation("Sync-Covers", "1");
        return await app.Gateway.SendAsync(request, Ct);
    }

    [Fact]
    public async Task a_tampered_mode_with_a_recomputed_checksum_and_an_export_on_the_wrong_route_are_invalid_documents()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var update = Vector("update.bin");
        var snapshot = Vector("snapshot.bin");
        // The untampered vectors carry the modes loro-crdt 1.17.1 wrote: 4 for the update, 3 for the snapshot.
        Assert.Equal((4, 3), (BinaryPrimitives.ReadUInt16BigEndian(update.AsSpan(20)), BinaryPrimitives.ReadUInt16BigEndian(snapshot.AsSpan(20))));
        Assert.Equal(update, WithMode(update, 4));

        foreach (var mode in new ushort[] { 1, 2, 5, 0x0400 })
        {
            using var change = await SendAsync(workspaceId, master, "changes", WithMode(update, mode));
            await Problems.AssertProblem(change, HttpStatusCode.UnprocessableEntity, "invalid-document");
        }

        using var snapshotAsChange = await SendAsync(workspaceId, master, "changes", snapshot);
        await Problems.AssertProblem(snapshotAsChange, HttpStatusCode.UnprocessableEntity, "invalid-document");
        Assert.Equal(0, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);

        // A large first change makes any snapshot covering seq 1 cheaper than it, so a stored snapshot would show in a
        // fresh pull. A Loro update, since a workspace's first change fixes its format and the snapshots are Loro.
        var large = LoroExports.Padded(update, 5000);
        await app.Api.PushAsync(master, workspaceId, large, Guid.NewGuid(), 1, Ct);
        using var updateAsSnapshot = await SendAsync(workspaceId, master, "snapshots", update);
        await Problems.AssertProblem(updateAsSnapshot, HttpStatusCode.UnprocessableEntity, "invalid-document");
        using var tamperedSnapshot = await SendAsync(workspaceId, master, "snapshots", WithMode(snapshot, 1));
        await Problems.AssertProblem(tamperedSnapshot, HttpStatusCode.UnprocessableEntity, "invalid-document");

        var pulled = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.Equal(large, Assert.Single(pulled.Frames).Data);
        Assert.False(pulled.Frames[0].IsSnapshot);
        using var snapshotStored = await SendAsync(workspaceId, master, "snapshots", snapshot);
        Assert.Equal(HttpStatusCode.Created, snapshotStored.StatusCode);
        var fresh = await app.Api.PullAsync(master, workspaceId, 0, Ct);
        Assert.True(Assert.Single(fresh.Frames).IsSnapshot);
        Assert.Equal(snapshot, fresh.Frames[0].Data);
        using var updateAccepted = await SendAsync(workspaceId, master, "changes", update);
        Assert.Equal(HttpStatusCode.Created, updateAccepted.StatusCode);
    }
}
