using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine.Http;

namespace Services.Auth.Keys;

/// <summary>The body of <c>POST /admin/keys</c>: minutes until the key signs (15 when absent).</summary>
public sealed record AddSigningKeyRequest(int? ActivateInMinutes);

/// <summary>
/// <c>POST /admin/keys</c>: a new key, published at once and signing after a delay long enough for every validator to
/// have fetched it (as <c>keys add</c> does).
/// </summary>
public static class AddSigningKey
{
    /// <summary>Longer than validators' 10-minute JWKS refresh, as for the <c>keys</c> command.</summary>
    public const int DefaultActivateInMinutes = 15;

    public const int MaxActivateInMinutes = 7 * 24 * 60;

    public static ProblemDetails Validate(AddSigningKeyRequest request) =>
        request.ActivateInMinutes is < 0 or > MaxActivateInMinutes
            ? Problem.InvalidRequest($"activateInMinutes must be between 0 and {MaxActivateInMinutes} (a week).")
            : WolverineContinue.NoProblems;

    [WolverinePost("/admin/keys", OperationId = "addSigningKey")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<Created<SigningKeyView>> Post(AddSigningKeyRequest request, SigningKeyRing ring, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var key = await ring.AddKeyAsync(now.AddMinutes(request.ActivateInMinutes ?? DefaultActivateInMinutes), ct);
        return TypedResults.Created($"/admin/keys/{key.Id}", AdminKeys.Views(await ring.AllAsync(ct), now).Single(v => v.Kid == key.Id));
    }
}
