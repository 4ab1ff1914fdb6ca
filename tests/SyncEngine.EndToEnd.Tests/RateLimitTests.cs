using System.Net;
using System.Net.Http.Json;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The gateway's rate limits keyed on what it could prove. Floods come from other loopback addresses
/// (<see cref="OtherAddress"/>), so the address budgets every other test spends from 127.0.0.1 stay whole.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class RateLimitTests(SyncEngineApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Any Authorization header on a route that exists nowhere, its body read at once: the flood below holds 800 answers.
    /// Sent through Requests.SendAsync (headers only, bodies unread) the flood failed once with a cancellation after
    /// 100 s, HttpClient's timeout, on a loaded machine.
    /// </summary>
    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/no-such-thing");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await http.SendAsync(request, Ct);
    }

    [Fact]
    public async Task invented_bearer_tokens_share_their_address_bucket_while_a_real_token_keeps_its_own()
    {
        var (_, _, master) = await app.NewWorkspaceAsync(Ct);
        using var http = await app.GatewayFromAsync("127.0.0.3", Ct);
        // Well over the per-client burst (200) plus what refills (100/s) while they are sent; each header a new invention.
        var flood = Enumerable.Range(0, 800).Select(i => i % 16 == 0
            ? GetAsync(http, $"Bearer {master}").ContinueWith(t => (Real: true, Response: t.Result), Ct)
            : GetAsync(http, $"Bearer invented-{Guid.NewGuid():N}").ContinueWith(t => (Real: false, Response: t.Result), Ct));
        var responses = await Task.WhenAll(flood);

        var limited = responses.Where(r => !r.Real && r.Response.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        await Problems.AssertProblem(limited[0].Response, HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.True(limited[0].Response.Headers.RetryAfter is not null, "429 without Retry-After");
        Assert.All(responses.Where(r => r.Real), r => Assert.Equal(HttpStatusCode.NotFound, r.Response.StatusCode));
        foreach (var (_, response) in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task claims_over_the_per_address_limit_are_429_and_store_nothing()
    {
        using var http = await app.GatewayFromAsync("127.0.0.4", Ct);
        // Every claim request counts, valid or not: spend the budget with bodies Workspace refuses at once.
        for (var i = 0; i < SyncEngineApp.ClaimsPerMinutePerAddress; i++)
        {
            using var spent = await http.SendRawJsonAsync(HttpMethod.Post, "/api/workspaces", null, "{}", Ct);
            Assert.Contains(spent.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests });
        }

        // The bucket refills a little while it is spent (the limit is per minute, not per calendar minute), so real
        // claims follow until one is refused: that one must have stored nothing.
        for (var attempt = 0; attempt < SyncEngineApp.ClaimsPerMinutePerAddress; attempt++)
        {
            var workspaceId = Guid.NewGuid();
            using var response = await http.SendAsync(HttpMethod.Post, "/api/workspaces", null, Ct,
                JsonContent.Create(new { workspaceId, clientId = Guid.NewGuid() }), ("Idempotency-Key", Guid.NewGuid().ToString()));
            if (response.StatusCode != HttpStatusCode.TooManyRequests)
            {
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                continue;
            }

            await Problems.AssertProblem(response, HttpStatusCode.TooManyRequests, "rate-limited");
            Assert.True(response.Headers.RetryAfter?.Delta is { } wait && wait > TimeSpan.Zero && wait <= TimeSpan.FromMinutes(1),
                $"Retry-After {response.Headers.RetryAfter}");
            // Had the refused claim been stored, another owner's claim of the same id would be 409 workspace-exists.
            var claimed = await app.Api.ClaimAsync(workspaceId, Guid.NewGuid(), Guid.NewGuid().ToString(), Ct);
            Assert.False(string.IsNullOrEmpty(claimed.Token));
            return;
        }

        Assert.Fail($"{2 * SyncEngineApp.ClaimsPerMinutePerAddress} claims from one address within the test, none refused");
    }

    [Fact]
    public async Task a_real_client_over_its_rate_limit_gets_429_problems_and_other_clients_do_not()
    {
        var (_, _, greedy) = await app.NewWorkspaceAsync(Ct);
        var (_, _, other) = await app.NewWorkspaceAsync(Ct);
        var responses = await Task.WhenAll(Enumerable.Range(0, 400).Select(_ => GetAsync(app.Gateway, $"Bearer {greedy}")));

        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        await Problems.AssertProblem(limited[0], HttpStatusCode.TooManyRequests, "rate-limited");
        using var otherResponse = await GetAsync(app.Gateway, $"Bearer {other}");
        Assert.Equal(HttpStatusCode.NotFound, otherResponse.StatusCode);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }
    [Fact]
    public async Task a_flood_on_a_stolen_master_token_does_not_hold_back_its_owners_revoke_or_erasure()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        var device = Guid.NewGuid();
        await app.Api.GrantAsync(master, workspaceId, device, "read_write", ct: Ct);

        // The thief floods from another address with the owner's token, so only the per-client bucket is shared.
        using var thief = await app.GatewayFromAsync("127.0.0.5", Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var limited = 0;
        var flood = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await GetAsync(thief, $"Bearer {master}");
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref limited);
                }
            }
        }, Ct)).ToArray();

        try
        {
            var refused = await Eventually.Until(_ => Task.FromResult(Volatile.Read(ref limited)), count => count > 0, TimeSpan.FromSeconds(30), Ct);
            Assert.True(refused > 0, "the flood never spent the client's bucket");
            // The flood goes on while the owner revokes with the same token from its own address.
            using var revoke = await app.Gateway.SendAsync(HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/{device}", master, Ct);
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
            // So does the owner's last remedy, erasing the workspace.
            using var erase = await app.Gateway.SendAsync(HttpMethod.Delete, $"/api/workspaces/{workspaceId}", master, Ct);
            Assert.Equal(HttpStatusCode.NoContent, erase.StatusCode);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(flood);
        }
    }

    [Fact]
    public async Task access_changes_over_their_own_bucket_are_429_and_change_nothing_more()
    {
        var (workspaceId, _, master) = await app.NewWorkspaceAsync(Ct);
        // Five times the burst, so even a slow machine sends them faster than the bucket refills (10/s).
        var devices = Enumerable.Range(0, 100).Select(_ => Guid.NewGuid()).ToList();
        foreach (var device in devices)
        {
            await app.Api.GrantAsync(master, workspaceId, device, "read", ct: Ct);
        }

        var responses = await Task.WhenAll(devices.Select(device =>
            app.Gateway.SendAsync(HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/{device}", master, Ct)));

        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        await Problems.AssertProblem(limited[0], HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.TooManyRequests), r => Assert.Equal(HttpStatusCode.NoContent, r.StatusCode));
        // A refused revoke left its device's access alone; the ones let through ended theirs.
        var tokens = await app.Api.ListTokensAsync(master, workspaceId, Ct);
        Assert.Equal(limited.Count, tokens.Count(t => devices.Contains(t.ClientId) && t.Status != "revoked"));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }
}
