using System.Net;

namespace SyncEngine.Client;

/// <summary>An error answer of the SyncEngine API: its HTTP status and the problem's stable <c>code</c> and <c>detail</c>.</summary>
public sealed class SyncEngineApiException(HttpStatusCode status, string? code, string? detail)
    : Exception($"{(int)status} {code}: {detail}")
{
    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; } = status;

    /// <summary>The problem's machine-readable code (docs/design.md), e.g. <c>workspace-exists</c>.</summary>
    public string? Code { get; } = code;

    /// <summary>The human explanation.</summary>
    public string? Detail { get; } = detail;
}
