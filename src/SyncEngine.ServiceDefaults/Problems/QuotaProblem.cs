using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace SyncEngine.ServiceDefaults.Problems;

/// <summary>403 <c>quota-exceeded</c> with the members docs/protocol.md names: which quota, its limit, what is used.</summary>
public static class QuotaProblem
{
    public static ProblemDetails Create(string quota, long limit, long used, string detail)
    {
        var problem = Problem.Create(StatusCodes.Status403Forbidden, ProblemCodes.QuotaExceeded, detail);
        problem.Extensions["quota"] = quota;
        problem.Extensions["limit"] = limit;
        problem.Extensions["used"] = used;
        return problem;
    }
}
