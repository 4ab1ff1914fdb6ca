using Marten;
using Services.Auth.Workspaces;
using SyncEngine.Contracts.Auth;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.Tokens;

namespace Services.Auth.Tokens;

/// <summary>Answers Workspace's request for the owner's master token once a claim is committed (also on a retried claim).</summary>
public static class IssueMasterTokenHandler
{
    public static async Task<MasterTokenIssued> Handle(
        IssueMasterToken request, IDocumentSession session, TokenIssuer issuer, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // WorkspaceClaimed may arrive after this request: record the owner here too (an upsert of the same facts).
        if (await session.LoadAsync<WorkspaceOwner>(request.WorkspaceId, ct) is null)
        {
            session.Store(new WorkspaceOwner(request.WorkspaceId, request.OwnerClientId, now));
        }

        var access = new AccessToken
        {
            Id = Guid.CreateVersion7(),
            WorkspaceId = request.WorkspaceId,
            ClientId = request.OwnerClientId,
            Scope = Scopes.ReadWrite,
            IsMaster = true,
            GrantedBy = request.OwnerClientId,
            GrantedAt = now,
        };
        var (token, issuedAt) = await issuer.IssueAsync(access, now, session, ct);
        access.IssuedAt = issuedAt;
        session.Insert(access);
        return new MasterTokenIssued(request.WorkspaceId, access.Id, token, issuedAt);
    }
}
