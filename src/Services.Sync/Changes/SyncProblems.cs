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

    public IResult QuotaExceeded(long limit, long used) =>
        Reject(StatusCodes.Status403Forbidden, ProblemCodes.QuotaExceeded,
            $"This workspace stores {used} bytes; the write would take it above its limit of {limit} bytes.",
            problem =>
            {
                problem.Extensions["quota"] = WorkspaceQuota.Name;
                problem.Extensions["limit"] = limit;
                problem.Extensions["used"] = used;
            });

    /// <summary>A change or snapshot whose format (Loro or opaque) is not the one the workspace's first change fixed.</summary>
    public IResult WrongFormat(string workspaceFormat) =>
        Reject(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument, workspaceFormat == SyncSchema.LoroFormat
            ? "This workspace holds a Loro document (its first change was a Loro export); the body is not a Loro export."
            : "This workspace holds opaque bytes (its first change was not a Loro export); the body is a Loro export.");

    /// <summary>The answer to a body that starts like a Loro export and is not a valid one for this route, or null.</summary>
    public IResult? InvalidLoro(ReadOnlySpan<byte> body, LoroEnvelope.Mode expected) => LoroEnvelope.Check(body, expected) switch
    {
        LoroEnvelope.Verdict.Corrupt => Reject(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument,
            "The body starts with Loro's magic bytes but its header, encode mode or checksum is wrong: truncated or corrupted."),
        LoroEnvelope.Verdict.WrongMode => Reject(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument,
            expected == LoroEnvelope.Mode.FastUpdates
                ? "This route takes Loro updates (export mode \"update\"); the body is a Loro snapshot. Snapshots go to /snapshots."
                : "This route takes Loro snapshots (export mode \"snapshot\"); the body is a Loro update. Updates go to /changes."),
        _ => null,
    };
}
