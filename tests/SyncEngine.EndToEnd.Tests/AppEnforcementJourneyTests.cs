using System.Net;
using System.Text.Json.Nodes;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Apps enforced end to end (docs/design.md, "Apps on one backend"): claims name their app and tokens carry it; a
/// suspended app is refused on every route and its live streams end; its schema versions and quotas hold; nothing of
/// another app is touched.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class AppEnforcementJourneyTests(SyncEngineApp app)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewAppId() => $"enf-{Guid.NewGuid():N}"[..16];

    private async Task<string> RegisterAsync(AppSettings settings)
    {
        var admin = await app.OperatorTokenAsync(Ct);
        await app.Api.RegisterAppAsync(admin, settings, Ct);
        // In force on every replica within a second: wait for Sync's and Auth's directories through a claim that works.
        return settings.AppId;
    }

    private async Task ChangeAsync(string appId, string patch) =>
        await app.Api.ChangeAppAsync(await app.OperatorTokenAsync(Ct), appId, JsonNode.Parse(patch)!.AsObject(), Ct);

    private Task<(Guid WorkspaceId, Guid Owner, string Master)> ClaimAsync(string? appId) =>
        appId is null ? app.NewWorkspaceAsync(Ct) : app.NewWorkspaceInAppAsync(appId, Ct);

    [Fact]
    public async Task a_claim_names_its_app_and_every_token_carries_it_and_an_unknown_app_is_404()
    {
        var appId = await RegisterAsync(new AppSettings(NewAppId(), "Tokens"));

        var (workspaceId, _, master) = await ClaimAsync(appId);
        var (_, member) = await app.NewMemberAsync(workspaceId, master, "read", Ct);
        var (_, _, defaultMaster) = await app.NewWorkspaceAsync(Ct);

        Assert.Equal(appId, Jwt.Payload(master).GetProperty("app").GetString());
        Assert.Equal(appId, Jwt.Payload(member).GetProperty("app").GetString());
        Assert.Equal(SyncEngineApp.DefaultApp, Jwt.Payload(defaultMaster).GetProperty("app").GetString());
        var unknown = await Assert.ThrowsAsync<SyncEngineApiException>(
            () => app.Api.ClaimAsync(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid().ToString(), "no-such-app", Ct));
        Assert.Equal((HttpStatusCode.NotFound, "app-not-found"), (unknown.Status, unknown.Code));
    }

    [Fact]
    public async Task a_suspended_app_is_refused_everywhere_its_streams_end_and_resuming_loses_nothing_while_other_apps_go_on()
    {
        var appId = await RegisterAsync(new AppSettings(NewAppId(), "Suspend me"));
        var (workspaceId, _, master) = await ClaimAsync(appId);
        var (_, writer) = await app.NewMemberAsync(workspaceId, master, "read_write", Ct);
        await app.Api.PushAsync(writer, workspaceId, [1, 2, 3], Guid.NewGuid(), 1, Ct);
        var pending = await app.Api.GrantAsync(master, workspaceId, Guid.NewGuid(), "read", ct: Ct);
        var (otherWorkspace, _, otherMaster) = await app.NewWorkspaceAsync(Ct);
        await using var stream = await EventStream.OpenAsync(app.Gateway, workspaceId, writer, null, Ct);
        Assert.NotNull(await stream.NextMatchingAsync(m => m.Event == "head", Settle, Ct));

        await ChangeAsync(appId, """{"suspended": true}""");

        Assert.Equal("app-suspended", (await stream.NextMatchingAsync(m => m.Event is "app-suspended" or "revoked", Settle, Ct))?.Event);
        var routes = new (HttpMethod Method, string Path, string? Token, HttpContent? Body)[]
        {
            (HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes", writer, new ByteArrayContent([4])),
            (HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after=0", writer, null),
            (HttpMethod.Post, $"/api/workspaces/{workspaceId}/snapshots", master, new ByteArrayContent([9])),
            (HttpMethod.Get, $"/api/workspaces/{workspaceId}/events", writer, null),
            (HttpMethod.Get, $"/api/workspaces/{workspaceId}", master, null),
            (HttpMethod.Get, $"/api/workspaces/{workspaceId}/tokens", master, null),
            (HttpMethod.Post, $"/api/workspaces/{workspaceId}/join", null, Json(new { clientId = pending.ClientId, inviteCode = pending.InviteCode })),
            (HttpMethod.Post, "/api/workspaces", null, Json(new { workspaceId = Guid.NewGuid(), clientId = Guid.NewGuid(), appId })),
        };
        // In force everywhere first, seen through requests that store nothing: each Sync replica on its own port (the
        // gateway spreads requests over them, and the stream above heard it on one), Workspace and Auth. A push or a
        // snapshot that reached a replica a moment before it heard would be stored, as any request before a suspension is.
        var replicas = (await app.SyncReplicaAddressesAsync(Ct)).Select(address => new HttpClient { BaseAddress = address }).ToList();
        var reads = replicas.Select(replica => (Client: replica, Path: $"/api/workspaces/{workspaceId}/changes?after=0", Token: writer))
            .Append((app.Gateway, $"/api/workspaces/{workspaceId}", master))
            .Append((app.Gateway, $"/api/workspaces/{workspaceId}/tokens", master));
        foreach (var (client, path, token) in reads)
        {
            var inForce = await Eventually.Until(t => client.StatusAsync(path, token, t), s => s == HttpStatusCode.Forbidden, Settle, Ct);
            Assert.True(inForce == HttpStatusCode.Forbidden, $"{client.BaseAddress}{path.TrimStart('/')}: {inForce}");
        }

        replicas.ForEach(replica => replica.Dispose());

        // Then every route refuses at once, and nothing is stored.
        foreach (var (method, path, token, body) in routes)
        {
            using var response = await app.Gateway.SendAsync(method, path, token, Ct, body,
                ("Idempotency-Key", Guid.NewGuid().ToString()), ("Sync-Schema-Version", "1"), ("Sync-Covers", "1"));
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden && text.Contains("\"app-suspended\"", StringComparison.Ordinal),
                $"{method} {path}: {(int)response.StatusCode} {text}");
        }

        // Another app's workspace syncs on.
        Assert.Equal(1, await app.Api.PushAsync(otherMaster, otherWorkspace, [7], Guid.NewGuid(), 1, Ct));

        await ChangeAsync(appId, """{"suspended": false}""");

        var seq = await Eventually.Until(async t =>
        {
            try
            {
                return await app.Api.PushAsync(writer, workspaceId, [4], Guid.NewGuid(), 1, t);
            }
            catch (SyncEngineApiException e) when (e.Code == "app-suspended")
            {
                return 0;
            }
        }, s => s > 0, Settle, Ct);
        Assert.Equal(2, seq);
        var pulled = await app.Api.PullAsync(writer, workspaceId, 0, Ct);
        Assert.Equal([[1, 2, 3], [4]], pulled.Frames.Select(f => f.Data).ToArray());
        // The invite waited, unspent, through the suspension. Auth hears of the resume on its own (Sync's push above
        // says only that Sync has): a join it still refuses as suspended spends nothing, so it may be asked again.
        var joined = await Eventually.Until(async t =>
        {
            try
            {
                return (await app.Api.JoinAsync(workspaceId, pending.ClientId, pending.InviteCode, t)).Scope;
            }
            catch (SyncEngineApiException e) when (e.Code == "app-suspended")
            {
                return null;
            }
        }, scope => scope is not null, Settle, Ct);
        Assert.Equal("read", joined);
    }

    [Fact]
    public async Task an_apps_schema_versions_are_its_own_and_raising_max_schema_version_releases_one()
    {
        var appId = await RegisterAsync(new AppSettings(NewAppId(), "Versions", MaxSchemaVersion: 1));
        var (workspaceId, _, master) = await ClaimAsync(appId);

        using (var refused = await app.Gateway.PushChangeAsync(workspaceId, master, new ByteArrayContent([1]), Ct, schemaVersion: "2"))
        {
            var problem = await Problems.AssertProblem(refused, HttpStatusCode.BadRequest, "unknown-version");
            Assert.Equal(1, problem.GetProperty("maxSchemaVersion").GetInt32());
        }

        Assert.Equal(0, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);

        await ChangeAsync(appId, """{"maxSchemaVersion": 2}""");

        var seq = await Eventually.Until(async t =>
        {
            try
            {
                return await app.Api.PushAsync(master, workspaceId, [1], Guid.NewGuid(), 2, t);
            }
            catch (SyncEngineApiException e) when (e.Code == "unknown-version")
            {
                return 0;
            }
        }, s => s > 0, Settle, Ct);
        Assert.Equal(1, seq);
    }

    [Fact]
    public async Task concurrent_claims_never_take_an_app_past_max_workspaces_and_the_refusal_says_which_quota()
    {
        var appId = await RegisterAsync(new AppSettings(NewAppId(), "Three", Quotas: new AppQuotas(MaxWorkspaces: 3)));
        await ClaimAsync(appId);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            try
            {
                await app.Api.ClaimAsync(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid().ToString(), appId, Ct);
                return "claimed";
            }
            catch (SyncEngineApiException e)
            {
                return e.Code ?? e.Status.ToString();
            }
        }));

        Assert.Equal(2, outcomes.Count(o => o == "claimed"));
        Assert.Equal(10, outcomes.Count(o => o == "quota-exceeded"));
        using var over = await app.Gateway.SendAsync(HttpMethod.Post, "/api/workspaces", null, Ct,
            Json(new { workspaceId = Guid.NewGuid(), clientId = Guid.NewGuid(), appId }), ("Idempotency-Key", Guid.NewGuid().ToString()));
        var problem = await Problems.AssertProblem(over, HttpStatusCode.Forbidden, "quota-exceeded");
        Assert.Equal(("maxWorkspaces", 3, 3), (problem.GetProperty("quota").GetString(), problem.GetProperty("limit").GetInt64(), problem.GetProperty("used").GetInt64()));
    }

    [Fact]
    public async Task an_apps_workspace_and_change_size_quotas_refuse_and_store_nothing()
    {
        var appId = await RegisterAsync(new AppSettings(NewAppId(), "Small",
            Quotas: new AppQuotas(MaxWorkspaceBytes: 100, MaxChangeBytes: 60)));
        var (workspaceId, _, master) = await ClaimAsync(appId);

        using (var tooLarge = await app.Gateway.PushChangeAsync(workspaceId, master, new ByteArrayContent(new byte[61]), Ct))
        {
            await Problems.AssertProblem(tooLarge, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        }

        await app.Api.PushAsync(master, workspaceId, new byte[60], Guid.NewGuid(), 1, Ct);
        using (var full = await app.Gateway.PushChangeAsync(workspaceId, master, new ByteArrayContent(new byte[41]), Ct))
        {
            var problem = await Problems.AssertProblem(full, HttpStatusCode.Forbidden, "quota-exceeded");
            Assert.Equal(("maxWorkspaceBytes", 100, 60),
                (problem.GetProperty("quota").GetString(), problem.GetProperty("limit").GetInt64(), problem.GetProperty("used").GetInt64()));
        }

        Assert.Equal(1, (await app.Api.PullAsync(master, workspaceId, 0, Ct)).Head);
        Assert.Equal(2, await app.Api.PushAsync(master, workspaceId, new byte[40], Guid.NewGuid(), 1, Ct));
    }

    [Fact]
    public async Task twenty_pushers_through_both_sync_replicas_never_take_an_app_past_max_app_bytes()
    {
        var appId = await RegisterAsync(new AppSettings(NewAppId(), "Shared bytes", Quotas: new AppQuotas(MaxAppBytes: 10_000)));
        var workspaces = new List<(Guid WorkspaceId, string Master)>();
        for (var i = 0; i < 4; i++)
        {
            var (workspaceId, _, master) = await ClaimAsync(appId);
            workspaces.Add((workspaceId, master));
            await app.Api.PushAsync(master, workspaceId, new byte[1750], Guid.NewGuid(), 1, Ct);
        }

        // 3000 bytes left: four of the racers' 700 fit, five do not, whichever replica takes each push.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var (workspaceId, master) = workspaces[i % 4];
            using var response = await app.Gateway.PushChangeAsync(workspaceId, master, new ByteArrayContent(new byte[700]), Ct);
            return response.StatusCode == HttpStatusCode.Created
                ? "created"
                : (await Problems.AssertProblem(response, HttpStatusCode.Forbidden, "quota-exceeded")).GetProperty("quota").GetString();
        }));

        Assert.Equal(4, outcomes.Count(o => o == "created"));
        Assert.Equal(16, outcomes.Count(o => o == "maxAppBytes"));
        var usage = await app.Api.GetAppUsageAsync(await app.OperatorTokenAsync(Ct), appId, Ct);
        Assert.Equal(9800, usage.StoredBytes);
    }

    [Fact]
    public async Task an_apps_claims_per_minute_per_address_are_429_beyond_the_limit()
    {
        var appId = await RegisterAsync(new AppSettings(NewAppId(), "Slow", Quotas: new AppQuotas(ClaimsPerMinutePerAddress: 2)));
        await ClaimAsync(appId);
        // The minute may roll over between claims; within two windows, at most two claims each pass.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await app.Gateway.SendAsync(HttpMethod.Post, "/api/workspaces", null, Ct,
                Json(new { workspaceId = Guid.NewGuid(), clientId = Guid.NewGuid(), appId }), ("Idempotency-Key", Guid.NewGuid().ToString()));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await Problems.AssertProblem(response, HttpStatusCode.TooManyRequests, "rate-limited");
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.True(statuses.Count(s => s == HttpStatusCode.Created) <= 3, string.Join(", ", statuses));
    }

    private static StringContent Json(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)),
            System.Text.Encoding.UTF8, "application/json");
}
