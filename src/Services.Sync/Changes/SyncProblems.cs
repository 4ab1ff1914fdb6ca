using Microsoft.AspNetCore.Mvc;
using SyncEngine.ServiceDefaults.Problems;

namespace Services.Sync.Changes;

/// <summary>
/// Problems of the sync routes. Built by pure functions (each route's Validate and decision), so unit tests read them;
/// <see cref="Reject"/> answers one and hands its code to <see cref="RejectionMetrics"/>.
/// </summary>
public sealed class SyncProblems(IHttpContextAccessor http)
{
    public IResult Reject(ProblemDetails problem)
    {
        if (http.HttpContext is { } context && problem.Extensions["code"] is string code)
        {
            context.Items[RejectionMetrics.CodeItem] = code;
        }

        return Problem.Result(problem);
    }

    public static ProblemDetails Invalid(string detail) => Problem.InvalidRequest(detail);

    public static ProblemDetails TooLarge(int maxBytes) =>
        Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, $"This route accepts at most {maxBytes} bytes.");

    public static ProblemDetails QuotaExceeded(long limit, long used, string quota = WorkspaceQuota.Name) =>
        QuotaProblem.Create(quota, limit, used, quota == AppQuota.Name
            ? $"This workspace's app stores {used} bytes; the write would take it above the app's limit of {limit} bytes."
            : $"This workspace stores {used} bytes; the write would take it above its limit of {limit} bytes.");

    /// <summary>A change or snapshot whose format (Loro or opaque) is not the one the workspace's first change fixed.</summary>
    public static ProblemDetails WrongFormat(string workspaceFormat) =>
        Problem.Create(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument, workspaceFormat == SyncSchema.LoroFormat
            ? "This workspace holds a Loro document (its first change was a Loro export); the body is not a Loro export."
            : "This workspace holds opaque bytes (its first change was not a Loro export); the body is a Loro export.");

    /// <summary>The problem with a body that starts like a Loro export and is not a valid one for this route, or null.</summary>
    public static ProblemDetails? InvalidLoro(LoroEnvelope.Verdict verdict, LoroEnvelope.Mode expected) => verdict switch
    {
        LoroEnvelope.Verdict.Corrupt => Problem.Create(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument,
            "The body starts with Loro's magic bytes but its header, encode mode or checksum is wrong: truncated or corrupted."),
        LoroEnvelope.Verdict.WrongMode => Problem.Create(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidDocument,
            expected == LoroEnvelope.Mode.FastUpdates
                ? "This route takes Loro updates (export mode \"update\"); the body is a Loro snapshot. Snapshots go to /snapshots."
                : "This route takes Loro snapshots (export mode \"snapshot\"); the body is a Loro update. Updates go to /changes."),
        _ => null,
    };
}
