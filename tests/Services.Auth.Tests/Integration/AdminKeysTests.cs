using System.Net;
using SyncEngine.Client;
using SyncEngine.Testing;
using Xunit;

namespace Services.Auth.Tests.Integration;

/// <summary>
/// Key rotation through the admin API (<c>/admin/keys</c>): operators list, add and retire keys without database access.
/// Only keys added here are retired, so the other tests' tokens stay valid.
/// </summary>
public sealed class AdminKeysTests(AuthService auth)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> OperatorAsync() =>
        (await auth.Api.GetOperatorTokenAsync("operator", AuthService.OperatorSecret, Ct)).AccessToken;

    [Fact]
    public async Task an_added_key_is_pending_and_published_then_retired_and_no_longer_published()
    {
        var admin = await OperatorAsync();

        var added = await auth.Api.AddSigningKeyAsync(admin, ct: Ct);

        Assert.Equal("pending", added.State);
        Assert.InRange(added.ActivatesAt - added.CreatedAt, TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(5));
        var keys = await auth.Api.ListSigningKeysAsync(admin, Ct);
        Assert.Contains(keys, k => k.Kid == added.Kid && k.State == "pending");
        Assert.Single(keys, k => k.State == "signing");
        Assert.Contains(added.Kid, await PublishedKidsAsync());

        var retired = await auth.Api.RetireSigningKeyAsync(admin, added.Kid, Ct);

        Assert.Equal("retired", retired.State);
        Assert.NotNull(retired.RetiredAt);
        Assert.DoesNotContain(added.Kid, await PublishedKidsAsync());
        Assert.Contains(await auth.Api.ListSigningKeysAsync(admin, Ct), k => k.Kid == added.Kid && k.State == "retired");
    }

    [Fact]
    public async Task the_only_signing_key_cannot_be_retired_and_an_unknown_kid_is_not_found()
    {
        var admin = await OperatorAsync();
        var signing = Assert.Single(await auth.Api.ListSigningKeysAsync(admin, Ct), k => k.State == "signing");

        var refused = await Assert.ThrowsAsync<SyncEngineApiException>(() => auth.Api.RetireSigningKeyAsync(admin, signing.Kid, Ct));
        Assert.Equal((HttpStatusCode.Conflict, "conflict"), (refused.Status, refused.Code));
        Assert.Contains("only one", refused.Detail, StringComparison.Ordinal);
        Assert.Contains(await auth.Api.ListSigningKeysAsync(admin, Ct), k => k.Kid == signing.Kid && k.State == "signing");

        var unknown = await Assert.ThrowsAsync<SyncEngineApiException>(() => auth.Api.RetireSigningKeyAsync(admin, "no-such-kid", Ct));
        Assert.Equal((HttpStatusCode.NotFound, "not-found"), (unknown.Status, unknown.Code));
    }

    [Theory]
    [InlineData("""{"activateInMinutes": -1}""")]
    [InlineData("""{"activateInMinutes": 10081}""")]
    [InlineData("""{"activateInMinutes": "soon"}""")]
    [InlineData("""[1]""")]
    public async Task a_bad_activation_delay_is_refused_and_adds_no_key(string body)
    {
        var admin = await OperatorAsync();
        var before = (await auth.Api.ListSigningKeysAsync(admin, Ct)).Count;

        using var response = await auth.Http.SendRawJsonAsync(HttpMethod.Post, "/admin/keys", admin, body, Ct);

        await Problems.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-request");
        Assert.Equal(before, (await auth.Api.ListSigningKeysAsync(admin, Ct)).Count);
    }

    [Fact]
    public async Task workspace_tokens_and_no_token_are_401_on_the_key_routes()
    {
        var (workspaceId, _, master) = await auth.NewWorkspaceAsync();
        var admin = await OperatorAsync();
        var before = (await auth.Api.ListSigningKeysAsync(admin, Ct)).Count;

        foreach (var token in new[] { master, null })
        {
            using var list = await auth.Http.SendAsync(HttpMethod.Get, "/admin/keys", token, Ct);
            await Problems.AssertProblem(list, HttpStatusCode.Unauthorized, "unauthorized");
            using var add = await auth.Http.SendRawJsonAsync(HttpMethod.Post, "/admin/keys", token, "{}", Ct);
            await Problems.AssertProblem(add, HttpStatusCode.Unauthorized, "unauthorized");
        }

        Assert.Equal(before, (await auth.Api.ListSigningKeysAsync(admin, Ct)).Count);
        Assert.NotEqual(Guid.Empty, workspaceId);
    }

    private async Task<List<string>> PublishedKidsAsync()
    {
        var jwks = await Problems.Json(await auth.Http.GetAsync("/.well-known/jwks.json", Ct));
        return jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();
    }
}
