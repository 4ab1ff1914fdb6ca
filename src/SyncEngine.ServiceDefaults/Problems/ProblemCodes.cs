namespace SyncEngine.ServiceDefaults.Problems;

/// <summary>The stable, machine-readable <c>code</c> member of every problem+json error (docs/design.md, "Error codes").</summary>
public static class ProblemCodes
{
    public const string InvalidRequest = "invalid-request";
    public const string MissingVersion = "missing-version";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not-found";
    public const string WorkspaceNotFound = "workspace-not-found";
    public const string WorkspaceDeleted = "workspace-deleted";
    public const string AppNotFound = "app-not-found";
    public const string InviteInvalid = "invite-invalid";
    public const string WorkspaceExists = "workspace-exists";
    public const string AppExists = "app-exists";
    public const string AppSuspended = "app-suspended";
    public const string Conflict = "conflict";
    public const string IdempotencyConflict = "idempotency-conflict";
    public const string OutdatedVersion = "outdated-version";
    public const string UnknownVersion = "unknown-version";
    public const string QuotaExceeded = "quota-exceeded";
    public const string PayloadTooLarge = "payload-too-large";
    public const string InvalidDocument = "invalid-document";
    public const string RateLimited = "rate-limited";
    public const string MethodNotAllowed = "method-not-allowed";
    public const string Unavailable = "unavailable";
    public const string Internal = "internal-error";
}
