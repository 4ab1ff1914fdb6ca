using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Changes;

/// <summary>Problems of the sync routes; their codes are counted by <see cref="RejectionMetrics"/>.</summary>
public sealed class SyncProblems(IHttpContextAccessor http)
{
    public IResult Reject(int status, string code, string detail, Action<Microsoft.AspNetCore.Mvc.ProblemDetails>? extend = null)
    {
        if (http.HttpContext is { } context)
        {
            context.Items[RejectionMetrics.CodeItem] = code;
        }

        var problem = Problem.Create(status, code, detail);
        extend?.Invoke(problem);
        return Problem.Result(problem);
    }

    public IResult Invalid(string detail) => Reject(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, detail);

    public IResult TooLarge(int maxBytes) =>
        Reject(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, $"This route accepts at most {maxBytes} bytes.");

    public IResult CorruptLoro() => Reject(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument,
        "The body starts with Loro's magic bytes but its header or checksum is wrong: truncated or corrupted.");
}
