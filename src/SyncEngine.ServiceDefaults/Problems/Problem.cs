using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace SyncEngine.ServiceDefaults.Problems;

/// <summary>Builds RFC 9457 problems that always carry a <c>code</c>.</summary>
public static class Problem
{
    public static ProblemDetails Create(int status, string code, string detail, string? title = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title ?? TitleOf(status), Detail = detail };
        problem.Extensions["code"] = code;
        return problem;
    }

    public static ProblemDetails InvalidRequest(string detail) => Create(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, detail);

    /// <summary>A JSON body of <c>null</c> deserializes to no request at all; each Validate checks for it first.</summary>
    public static ProblemDetails BodyRequired() => InvalidRequest("The request body must be a JSON object.");

    /// <summary>Typed, so an endpoint can declare <c>Results&lt;Ok&lt;T&gt;, ProblemHttpResult&gt;</c> and its OpenAPI success type follows.</summary>
    public static ProblemHttpResult Result(ProblemDetails problem) => TypedResults.Problem(problem);

    /// <summary>The code a bare status (no handler-written body) maps to, for the status-code-pages fallback.</summary>
    public static string CodeOf(int status) => status switch
    {
        StatusCodes.Status400BadRequest => ProblemCodes.InvalidRequest,
        StatusCodes.Status401Unauthorized => ProblemCodes.Unauthorized,
        StatusCodes.Status403Forbidden => ProblemCodes.Forbidden,
        StatusCodes.Status404NotFound => ProblemCodes.NotFound,
        StatusCodes.Status405MethodNotAllowed => ProblemCodes.MethodNotAllowed,
        StatusCodes.Status409Conflict => ProblemCodes.Conflict,
        StatusCodes.Status413PayloadTooLarge => ProblemCodes.PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType => ProblemCodes.InvalidRequest,
        StatusCodes.Status429TooManyRequests => ProblemCodes.RateLimited,
        StatusCodes.Status503ServiceUnavailable => ProblemCodes.Unavailable,
        _ => status >= 500 ? ProblemCodes.Internal : ProblemCodes.InvalidRequest,
    };

    private static string TitleOf(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        413 => "Payload Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => status >= 500 ? "Internal Server Error" : "Error",
    };
}
