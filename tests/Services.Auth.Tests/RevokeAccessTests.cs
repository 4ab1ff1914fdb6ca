using Services.Auth.Tokens;
using SyncEngine.Contracts.Auth;
using SyncEngine.Tokens;
using Xunit;

namespace Services.Auth.Tests;

public sealed class RevokeAccessTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid Workspace = Guid.NewGuid();
    private static readonly Guid Owner = Guid.NewGuid();
    private static readonly Guid Client = Guid.NewGuid();
    private static readonly TokenHolder Caller = new(Owner, Workspace, Scopes.ReadWrite, IsMaster: true, Guid.NewGuid());

    private static AccessToken Token(Guid client, bool master = false, DateTimeOffset? revokedAt = null, Guid? id = null) =>
        new() { Id = id ?? Guid.NewGuid(), WorkspaceId = Workspace, ClientId = client, IsMaster = master, RevokedAt = revokedAt };

    [Fact]
    public void a_client_id_that_is_not_a_uuid_is_an_invalid_request()
    {
        var problem = RevokeAccess.Validate("not-a-uuid");

        Assert.Equal(400, problem.Status);
        Assert.Equal("invalid-request", problem.Extensions["code"]);
        Assert.Same(Wolverine.Http.WolverineContinue.NoProblems, RevokeAccess.Validate(Client.ToString()));
    }

    [Fact]
    public void a_client_that_never_had_access_is_not_found() =>
        Assert.IsType<RevokeDecision.NotFound>(RevokeAccess.Decide(Workspace, Client, Caller, [], Now));

    [Fact]
    public void revoking_ends_the_tokens_still_in_force_and_tells_every_id_of_the_pair()
    {
        var (active, pending, earlier) = (Token(Client), Token(Client), Token(Client, revokedAt: Now.AddDays(-1)));

        var revoke = Assert.IsType<RevokeDecision.Revoke>(RevokeAccess.Decide(Workspace, Client, Caller, [active, pending, earlier], Now));

        Assert.Equal([active, pending], revoke.Ending);
        Assert.Equal(new AccessRevoked(Workspace, Client, Owner, Now, null), revoke.Revoked with { TokenIds = null });
        Assert.Equal([active.Id, pending.Id, earlier.Id], revoke.Revoked.TokenIds);
    }

    [Fact]
    public void revoking_a_client_whose_tokens_are_all_revoked_already_records_and_tells_it_again()
    {
        var earlier = Token(Client, revokedAt: Now.AddDays(-1));

        var revoke = Assert.IsType<RevokeDecision.Revoke>(RevokeAccess.Decide(Workspace, Client, Caller, [earlier], Now));

        Assert.Empty(revoke.Ending);
        Assert.Equal([earlier.Id], revoke.Revoked.TokenIds);
    }

    [Fact]
    public void the_owner_naming_itself_ends_its_other_master_tokens_only()
    {
        var own = Token(Owner, master: true, id: Caller.TokenId);
        var (other, ended) = (Token(Owner, master: true), Token(Owner, master: true, revokedAt: Now.AddDays(-1)));

        var end = Assert.IsType<RevokeDecision.EndOtherMasterTokens>(RevokeAccess.Decide(Workspace, Owner, Caller, [own, other, ended], Now));

        Assert.Equal([other], end.Ending);
        Assert.Equal(Workspace, end.Revoked.WorkspaceId);
        Assert.Equal(Owner, end.Revoked.OwnerClientId);
        Assert.Equal([other.Id], end.Revoked.TokenIds);
        Assert.Equal(Now, end.Revoked.RevokedAt);
    }

    [Fact]
    public void the_owner_naming_itself_with_no_other_master_token_changes_nothing() =>
        Assert.IsType<RevokeDecision.Nothing>(RevokeAccess.Decide(Workspace, Owner, Caller, [Token(Owner, master: true, id: Caller.TokenId)], Now));
}
