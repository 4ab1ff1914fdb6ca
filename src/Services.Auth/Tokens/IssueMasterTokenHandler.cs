using Marten;
using Services.Auth.Workspaces;
using SyncEngine.Contracts.Auth;
using SyncEngine.Contracts.Workspaces;
using SyncEngine.Tokens;

namespace Services.Auth.Tokens;

/// <summary>A master token to issue, and the owner to record first when WorkspaceClaimed has not arrived yet.</summary>
public sealed record MasterGrant(WorkspaceOwner? RecordOwner, AccessToken Access);

/// <summary>Answers Workspace's request for the owner's master token once a claim is committed (also on a retried claim).</summary>
public static class IssueMasterTokenHandler
{
    /// <summary>Workspace decides who owns the workspace; every request mints a new master token (a claim retry gets its own).</summary>
    public static MasterGrant Decide(IssueMasterToken request, WorkspaceOwner? owner, Guid tokenId, DateTimeOffset now) =>
        new(
            // WorkspaceClaimed may arrive after this request: record the owner here too (the same facts it will upsert).
            owner is null ? new WorkspaceOwner(request.WorkspaceId, request.OwnerClientId, now, request.AppId) : null,
            new AccessToken
            {
                Id = tokenId,
                WorkspaceId = request.WorkspaceId,
                AppId = request.AppId ?? owner?.AppId,
                ClientId = request.OwnerClientId,
                Scope = Scopes.ReadWrite,
                IsMaster = true,
                GrantedBy = request.OwnerClientId,
                GrantedAt = now,
            });

    public static async Task<MasterTokenIssued> Handle(
        IssueMasterToken request, IDocumentSession session, TokenIssuer issuer, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var grant = Decide(request, await session.LoadAsync<WorkspaceOwner>(request.WorkspaceId, ct), Guid.CreateVersion7(), now);
        if (grant.RecordOwner is { } owner)
        {
            session.Store(owner);
        }

        var (token, issuedAt) = await issuer.IssueAsync(grant.Access, now, session, ct);
        grant.Access.IssuedAt = issuedAt;
        session.Insert(grant.Access);
        // The reply; Wolverine's transactional middleware commits the rows before sending it.
        return new MasterTokenIssued(request.WorkspaceId, grant.Access.Id, token, issuedAt);
    }
}
