using System.Net;
using SyncEngine.Testing;
using Xunit;

namespace Services.Auth.Tests.Integration;

/// <summary>
/// Rotation as an operator does it (Auth's README, "Keys"): the `keys` command against Auth's database adds a key,
/// then retires the old one; Auth rereads its ring every second here. Whether the other services follow is the
/// end-to-end KeyRotationTests' part. Retiring the key every other test's tokens were signed with would refuse them
/// mid-test, so this runs alone, after the others.
/// </summary>
[Collection(nameof(KeyRotationTests))]
public sealed class KeyRotationTests(AuthService auth)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_new_key_is_published_and_signs_and_a_retired_keys_tokens_are_refused_while_the_new_keys_are_not()
    {
        var old = await auth.NewWorkspaceAsync();
        var oldKid = Jwt.KeyId(old.Master);
        var list = $"/api/workspaces/{old.WorkspaceId}/tokens";

        var newKid = AuthKeysCommand.AddedKid(await KeysAsync("add", "--activate-in", "0"));

        Assert.NotEqual(oldKid, newKid);
        Assert.Contains(newKid, await Eventually.Until(PublishedKidsAsync, kids => kids.Contains(newKid), Settle, Ct));
        var fresh = await Eventually.Until(_ => auth.IssueMasterTokenAsync(old.WorkspaceId, old.Owner),
            issued => Jwt.KeyId(issued.Token) == newKid, Settle, Ct);
        Assert.Equal(newKid, Jwt.KeyId(fresh.Token));
        Assert.Equal(HttpStatusCode.OK, await auth.Http.StatusAsync(list, fresh.Token, Ct));
        // Still published, so its tokens still work until it is retired.
        Assert.Equal(HttpStatusCode.OK, await auth.Http.StatusAsync(list, old.Master, Ct));

        await KeysAsync("retire", "--kid", oldKid);

        Assert.DoesNotContain(oldKid, await Eventually.Until(PublishedKidsAsync, kids => !kids.Contains(oldKid), Settle, Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await Eventually.Until(t => auth.Http.StatusAsync(list, old.Master, t),
            s => s == HttpStatusCode.Unauthorized, Settle, Ct));
        using (var refused = await auth.Http.SendAsync(HttpMethod.Get, list, old.Master, Ct))
        {
            await Problems.AssertProblem(refused, HttpStatusCode.Unauthorized, "unauthorized");
        }

        Assert.Equal(HttpStatusCode.OK, await auth.Http.StatusAsync(list, fresh.Token, Ct));
    }

    private Task<string> KeysAsync(params string[] arguments) =>
        AuthKeysCommand.RunAsync(auth.Database.ConnectionStringOf("auth"), AuthService.EncryptionKey, arguments, Ct);

    private async Task<List<string>> PublishedKidsAsync(CancellationToken ct)
    {
        using var response = await auth.Http.GetAsync("/.well-known/jwks.json", ct);
        return (await response.Json()).GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();
    }
}

[CollectionDefinition(nameof(KeyRotationTests), DisableParallelization = true)]
public sealed class KeyRotationCollection;
