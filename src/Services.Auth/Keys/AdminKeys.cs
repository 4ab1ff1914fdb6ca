using Microsoft.AspNetCore.Authorization;
using SyncEngine.Backend.Security;
using Wolverine.Http;

namespace Services.Auth.Keys;

/// <summary>A signing key as operators see it: never its private part.</summary>
/// <param name="State">
/// <c>signing</c> (new tokens are signed with it), <c>pending</c> (published, signs from <c>activatesAt</c>),
/// <c>published</c> (no longer signs; its tokens still verify), <c>retired</c> (not published; its tokens are refused).
/// </param>
public sealed record SigningKeyView(string Kid, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset? RetiredAt, string State);

/// <summary>
/// Key rotation through the admin API (<c>/admin/keys</c>, operator tokens only), the same steps as the <c>keys</c>
/// command but without database access: list, add (published at once, signing after a delay long enough for every
/// validator to have fetched it), retire (refused while it is the only key that signs).
/// </summary>
public static class AdminKeys
{
    public static IReadOnlyList<SigningKeyView> Views(IReadOnlyCollection<SigningKey> keys, DateTimeOffset now)
    {
        var signing = KeySelection.Signing(keys, now);
        return keys.OrderBy(k => k.CreatedAt).Select(k => View(k, signing, now)).ToList();
    }

    public static SigningKeyView View(SigningKey key, SigningKey? signing, DateTimeOffset now) => new(
        key.Id, key.CreatedAt, key.ActivatesAt, key.RetiredAt,
        key.RetiredAt <= now ? "retired"
        : key.Id == signing?.Id ? "signing"
        : key.ActivatesAt > now ? "pending"
        : "published");

    [WolverineGet("/admin/keys", OperationId = "listSigningKeys")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<IReadOnlyList<SigningKeyView>> List(SigningKeyRing ring, TimeProvider clock, CancellationToken ct) =>
        Views(await ring.AllAsync(ct), clock.GetUtcNow());
}
