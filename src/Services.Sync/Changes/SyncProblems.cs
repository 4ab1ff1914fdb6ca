using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Changes;

/// <summary>Problems of the sync routes, each counted by code in <see cref="SyncMetrics"/>.</summary>
public sealed class SyncProblems(SyncMetrics metrics)
{
    public IResult Reject(int status, string code, string detail, Action<Microsoft.AspNetCore.Mvc.ProblemDetails>? extend = null)
    {
        metrics.Rejected(code);
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
