using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using SyncEngine.Backend.Security;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine.Http;

namespace Services.Auth.Keys;

/// <summary>
/// <c>POST /admin/keys/{kid}/retire</c>: the key is no longer published and its tokens are refused; refused while it is
/// the only key that signs (as <c>keys retire</c> is).
/// </summary>
public static class RetireSigningKey
{
    [WolverinePost("/admin/keys/{kid}/retire", OperationId = "retireSigningKey")]
    [Authorize(Policy = OperatorAuthentication.Policy)]
    public static async Task<Results<Ok<SigningKeyView>, ProblemHttpResult>> Post(string kid, SigningKeyRing ring, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var keys = await ring.AllAsync(ct);
        if (keys.All(k => k.Id != kid))
        {
            return Problem.Result(Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.NotFound,
                "There is no signing key with that kid (GET /admin/keys lists them)."));
        }

        if (KeySelection.RefuseRetirement(keys, kid, now) is { } refusal)
        {
            return Problem.Result(Problem.Create(StatusCodes.Status409Conflict, ProblemCodes.Conflict, refusal));
        }

        try
        {
            await ring.RetireKeyAsync(kid, now, ct);
        }
        catch (InvalidOperationException raced)
        {
            // Another operator retired the other signing key between the check above and this one.
            return Problem.Result(Problem.Create(StatusCodes.Status409Conflict, ProblemCodes.Conflict, raced.Message));
        }

        return TypedResults.Ok(AdminKeys.Views(await ring.AllAsync(ct), now).Single(v => v.Kid == kid));
    }
}
