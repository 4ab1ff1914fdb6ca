using SyncEngine.Client;
using SyncEngine.Contracts.Auth;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.Testing;
using Xunit;

[assembly: AssemblyFixture(typeof(Services.Auth.Tests.Integration.AuthService))]

namespace Services.Auth.Tests.Integration;

/// <summary>Auth alone, in process, on its own PostgreSQL: once for this test assembly. It signs with its own keys.</summary>
public sealed class AuthService() : ServiceHost<Program>("auth", new Dictionary<string, string?>
{
    ["Auth:KeyEncryptionKey"] = EncryptionKey,
    // Key rotation within a test's patience (KeyRotationTests): the ring is reread every second, not every minute.
    ["Auth:KeyReloadEvery"] = "00:00:01",
    ["Operator:Secret"] = OperatorSecret,
})
{
    /// <summary>Operator:Secret here (client id <c>operator</c>): AdminKeysTests get operator tokens with it.</summary>
    public static readonly string OperatorSecret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Auth:KeyEncryptionKey here: the fixture's own, so a test can run the keys command against the same keys.</summary>
    public static readonly string EncryptionKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// A workspace as Workspace announces it (WorkspaceClaimed, then its IssueMasterToken request) and the master token
    /// Auth answers with.
    /// </summary>
    public async Task<(Guid WorkspaceId, Guid Owner, string Master)> NewWorkspaceAsync()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        await InvokeAsync(new WorkspaceClaimed(workspaceId, owner, DateTimeOffset.UtcNow));
        return (workspaceId, owner, (await IssueMasterTokenAsync(workspaceId, owner)).Token);
    }

    public Task<MasterTokenIssued> IssueMasterTokenAsync(Guid workspaceId, Guid owner) =>
        InvokeAsync<MasterTokenIssued>(new IssueMasterToken(workspaceId, owner));

    /// <summary>A new client granted <paramref name="scope"/> that has redeemed its invite.</summary>
    public async Task<(Guid Client, JoinedWorkspace Joined)> NewMemberAsync(Guid workspaceId, string master, string scope, long? expiresInSeconds = null)
    {
        var client = Guid.NewGuid();
        var grant = await Api.GrantAsync(master, workspaceId, client, scope, expiresInSeconds, TestContext.Current.CancellationToken);
        return (client, await Api.JoinAsync(workspaceId, client, grant.InviteCode, TestContext.Current.CancellationToken));
    }
}
