using SyncEngine.Backend.Security;
using Xunit;

namespace SyncEngine.Backend.Tests;

/// <summary>Which tokens of a pair a recorded revocation refuses, and how revocations of one pair add up.</summary>
public sealed class RevocationRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, 100, TimeSpan.Zero);
    private static readonly Guid Workspace = Guid.NewGuid();
    private static readonly Guid Client = Guid.NewGuid();

    [Fact]
    public void a_token_listed_by_id_is_refused_whatever_its_iat()
    {
        var token = Guid.NewGuid();
        var revocation = Revocation.Merge(null, Workspace, Client, Now, [token]);

        Assert.True(revocation.Refuses(Now.AddDays(1), token));
    }

    [Fact]
    public void a_token_issued_after_the_revoked_second_and_not_listed_is_accepted()
    {
        var revocation = Revocation.Merge(null, Workspace, Client, Now, [Guid.NewGuid()]);

        Assert.False(revocation.Refuses(Now.AddSeconds(1), Guid.NewGuid()));
        Assert.False(((Revocation?)null).Refuses(Now, Guid.NewGuid()));
    }

    [Fact]
    public void a_revocation_recorded_before_token_ids_existed_still_refuses_by_its_instant()
    {
        var stored = new Revocation { Id = Revocation.KeyOf(Workspace, Client), WorkspaceId = Workspace, ClientId = Client, RevokedAt = Now };

        Assert.True(stored.Refuses(Now.AddMinutes(-1), Guid.NewGuid()));
        Assert.False(stored.Refuses(Now.AddSeconds(1), Guid.NewGuid()));
    }

    [Fact]
    public void a_later_revocation_keeps_the_later_instant_and_every_token_id()
    {
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        var later = Revocation.Merge(null, Workspace, Client, Now.AddSeconds(5), [a]);

        // A redelivered or reordered older message moves nothing back and loses no id.
        var merged = Revocation.Merge(later, Workspace, Client, Now, [b]);

        Assert.Equal(Now.AddSeconds(5), merged.RevokedAt);
        Assert.Equal(new[] { a, b }.Order(), merged.TokenIds.Order());
        Assert.Equal(Revocation.KeyOf(Workspace, Client), merged.Id);
    }

    [Fact]
    public void revoking_single_tokens_leaves_the_pairs_other_tokens_valid()
    {
        var other = Guid.NewGuid();
        var revocation = Revocation.Merge(null, Workspace, Client, revokedAt: null, [other]);

        Assert.True(revocation.Refuses(Now, other));
        Assert.False(revocation.Refuses(Now, Guid.NewGuid()));
        Assert.False(revocation.Refuses(DateTimeOffset.FromUnixTimeSeconds(0), Guid.NewGuid()));
    }
}
