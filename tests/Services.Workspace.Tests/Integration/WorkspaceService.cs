using System.Globalization;
using SyncEngine.Client;
using SyncEngine.Contracts.Auth;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.Testing;
using SyncEngine.Tokens;
using Wolverine.Tracking;
using Xunit;

[assembly: AssemblyFixture(typeof(Services.Workspace.Tests.Integration.WorkspaceService))]

namespace Services.Workspace.Tests.Integration;

/// <summary>
/// Workspace alone, in process, on its own PostgreSQL: once for this test assembly. Auth's answer to IssueMasterToken
/// is stubbed in Wolverine: a master token the fixture's <see cref="ServiceHost{T}.Signer"/> signs, as Auth would.
/// </summary>
public sealed class WorkspaceService() : ServiceHost<Program>("workspace", new Dictionary<string, string?>
{
    ["Workspace:ClaimRetryWindow"] = ClaimRetryWindow.ToString("c", CultureInfo.InvariantCulture),
})
{
    /// <summary>Workspace:ClaimRetryWindow here, not the 24 h default, so a test sees a claim's key stop minting master tokens.</summary>
    public static readonly TimeSpan ClaimRetryWindow = TimeSpan.FromSeconds(3);

    private readonly List<MasterTokenIssued> _issued = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Services.StubWolverineMessageHandling<IssueMasterToken, MasterTokenIssued>(request =>
        {
            var (tokenId, now) = (Guid.NewGuid(), DateTimeOffset.UtcNow);
            var issued = new MasterTokenIssued(request.WorkspaceId, tokenId,
                Signer.Issue(request.WorkspaceId, request.OwnerClientId, Scopes.ReadWrite, master: true, tokenId: tokenId, issuedAt: now), now);
            lock (_issued)
            {
                _issued.Add(issued);
            }

            return issued;
        });
    }

    /// <summary>The master tokens "Auth" issued for <paramref name="workspaceId"/> so far.</summary>
    public IReadOnlyList<MasterTokenIssued> IssuedFor(Guid workspaceId)
    {
        lock (_issued)
        {
            return _issued.Where(i => i.WorkspaceId == workspaceId).ToList();
        }
    }

    public async Task<(Guid WorkspaceId, Guid Owner, string Master)> NewWorkspaceAsync()
    {
        var (workspaceId, owner) = (Guid.NewGuid(), Guid.NewGuid());
        var claimed = await Api.ClaimAsync(workspaceId, owner, Guid.NewGuid().ToString(), TestContext.Current.CancellationToken);
        return (workspaceId, owner, claimed.Token);
    }

    /// <summary>A member as Auth announces it (AccessGranted) with the token Auth would give it on joining.</summary>
    public async Task<(Guid Client, Guid TokenId, string Token)> NewMemberAsync(Guid workspaceId, Guid owner, string scope)
    {
        var (client, tokenId) = (Guid.NewGuid(), Guid.NewGuid());
        await InvokeAsync(new AccessGranted(workspaceId, tokenId, client, scope, null, owner, DateTimeOffset.UtcNow));
        return (client, tokenId, Signer.Issue(workspaceId, client, scope, tokenId: tokenId));
    }
}
