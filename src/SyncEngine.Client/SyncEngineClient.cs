using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace SyncEngine.Client;

/// <summary>
/// A typed client of SyncEngine's public API (through the gateway). Error answers throw
/// <see cref="SyncEngineApiException"/> carrying the problem's code.
/// </summary>
public sealed class SyncEngineClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The HttpClient this client sends through (base address: the gateway).</summary>
    public HttpClient Http => http;

    /// <summary>Claims a new workspace; retrying with the same <paramref name="idempotencyKey"/> returns the master token again.</summary>
    public Task<ClaimedWorkspace> ClaimAsync(Guid workspaceId, Guid clientId, string idempotencyKey, CancellationToken ct = default) =>
        ClaimAsync(workspaceId, clientId, idempotencyKey, appId: null, ct);

    /// <summary>Claims a new workspace of <paramref name="appId"/> (null: the deployment's default app).</summary>
    public Task<ClaimedWorkspace> ClaimAsync(Guid workspaceId, Guid clientId, string idempotencyKey, string? appId, CancellationToken ct = default) =>
        SendAsync<ClaimedWorkspace>(HttpMethod.Post, "/api/workspaces", null,
            appId is null ? new { workspaceId, clientId } : new { workspaceId, clientId, appId }, ct, ("Idempotency-Key", idempotencyKey));

    /// <summary>Grants <paramref name="clientId"/> access (master token required) and returns the invite to share.</summary>
    public Task<AccessGrant> GrantAsync(
        string masterToken, Guid workspaceId, Guid clientId, string scope, long? expiresInSeconds = null, CancellationToken ct = default) =>
        SendAsync<AccessGrant>(HttpMethod.Post, $"/api/workspaces/{workspaceId}/tokens", masterToken, new { clientId, scope, expiresInSeconds }, ct);

    /// <summary>Redeems an invite for this client's own token.</summary>
    public Task<JoinedWorkspace> JoinAsync(Guid workspaceId, Guid clientId, string inviteCode, CancellationToken ct = default) =>
        SendAsync<JoinedWorkspace>(HttpMethod.Post, $"/api/workspaces/{workspaceId}/join", null, new { clientId, inviteCode }, ct);

    /// <summary>Lists the workspace's tokens and pending invites (master token required).</summary>
    public Task<IReadOnlyList<TokenSummary>> ListTokensAsync(string masterToken, Guid workspaceId, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<TokenSummary>>(HttpMethod.Get, $"/api/workspaces/{workspaceId}/tokens", masterToken, null, ct);

    /// <summary>Revokes every token of a client for the workspace (master token required).</summary>
    public Task RevokeAsync(string masterToken, Guid workspaceId, Guid clientId, CancellationToken ct = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, $"/api/workspaces/{workspaceId}/tokens/{clientId}", masterToken, null, ct);

    /// <summary>The workspace as the token's holder may see it (members only for the master), as raw JSON.</summary>
    public Task<JsonElement> GetWorkspaceAsync(string token, Guid workspaceId, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Get, $"/api/workspaces/{workspaceId}", token, null, ct);

    /// <summary>The workspace's audit log (master token required), as raw JSON.</summary>
    public Task<JsonElement> GetHistoryAsync(string masterToken, Guid workspaceId, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Get, $"/api/workspaces/{workspaceId}/history", masterToken, null, ct);

    /// <summary>Appends one change; the same <paramref name="idempotencyKey"/> again returns the same seq.</summary>
    public async Task<long> PushAsync(
        string token, Guid workspaceId, byte[] change, Guid idempotencyKey, int schemaVersion, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/changes") { Content = new ByteArrayContent(change) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey.ToString());
        request.Headers.TryAddWithoutValidation("Sync-Schema-Version", schemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await http.SendAsync(request, ct);
        await ThrowIfProblemAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Json, ct)).GetProperty("seq").GetInt64();
    }

    /// <summary>Pulls what the caller lacks after <paramref name="after"/>.</summary>
    public async Task<PullResult> PullAsync(string token, Guid workspaceId, long after, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/workspaces/{workspaceId}/changes?after={after}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, ct);
        await ThrowIfProblemAsync(response, ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        return new PullResult(
            long.Parse(response.Headers.GetValues("Sync-Head").First(), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(response.Headers.GetValues("Sync-Schema-Version").First(), System.Globalization.CultureInfo.InvariantCulture),
            SyncFrameReader.Read(body),
            body.Length);
    }

    /// <summary>Uploads a snapshot that includes every change up to <paramref name="covers"/>, of schema version 1.</summary>
    public Task UploadSnapshotAsync(string token, Guid workspaceId, byte[] snapshot, long covers, CancellationToken ct = default) =>
        UploadSnapshotAsync(token, workspaceId, snapshot, covers, 1, ct);

    /// <summary>
    /// Uploads a snapshot that includes every change up to <paramref name="covers"/>, written at
    /// <paramref name="schemaVersion"/> (refused with <c>unknown-version</c> when the server has not released it).
    /// </summary>
    public async Task UploadSnapshotAsync(string token, Guid workspaceId, byte[] snapshot, long covers, int schemaVersion, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/snapshots") { Content = new ByteArrayContent(snapshot) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Sync-Covers", covers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("Sync-Schema-Version", schemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await http.SendAsync(request, ct);
        await ThrowIfProblemAsync(response, ct);
    }

    /// <summary>
    /// An operator token (OAuth 2.0 client credentials at <c>/connect/token</c>) for the admin calls below. Refusals
    /// throw with the problem's code; the OAuth <c>error</c> is in its detail's problem body too.
    /// </summary>
    public async Task<OperatorToken> GetOperatorTokenAsync(string clientId, string clientSecret, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = clientId,
                ["client_secret"] = clientSecret,
                ["scope"] = "syncengine.admin",
            }),
        };
        using var response = await http.SendAsync(request, ct);
        await ThrowIfProblemAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<OperatorToken>(Json, ct))!;
    }

    /// <summary>Every registered app (operator token required).</summary>
    public Task<IReadOnlyList<AppSettings>> ListAppsAsync(string operatorToken, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<AppSettings>>(HttpMethod.Get, "/admin/apps", operatorToken, null, ct);

    /// <summary>One app's settings (operator token required); 404 <c>app-not-found</c> throws.</summary>
    public Task<AppSettings> GetAppAsync(string operatorToken, string appId, CancellationToken ct = default) =>
        SendAsync<AppSettings>(HttpMethod.Get, $"/admin/apps/{Uri.EscapeDataString(appId)}", operatorToken, null, ct);

    /// <summary>Registers an app (operator token required); 409 <c>app-exists</c> throws.</summary>
    public Task<AppSettings> RegisterAppAsync(string operatorToken, AppSettings settings, CancellationToken ct = default) =>
        SendAsync<AppSettings>(HttpMethod.Post, "/admin/apps", operatorToken, settings, ct);

    /// <summary>
    /// Changes an app (operator token required) with a JSON merge patch: the members given replace the stored ones, and
    /// a quota set to null returns to the deployment's default, e.g. <c>{"quotas": {"maxWorkspaces": null}}</c>.
    /// </summary>
    public Task<AppSettings> ChangeAppAsync(string operatorToken, string appId, System.Text.Json.Nodes.JsonObject patch, CancellationToken ct = default) =>
        SendAsync<AppSettings>(HttpMethod.Patch, $"/admin/apps/{Uri.EscapeDataString(appId)}", operatorToken, patch, ct);

    /// <summary>
    /// The owner erases its workspace (master token required): everything of it goes in every service, and every route
    /// of the id answers 410 <c>workspace-deleted</c> from then on.
    /// </summary>
    public Task DeleteWorkspaceAsync(string masterToken, Guid workspaceId, CancellationToken ct = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, $"/api/workspaces/{workspaceId}", masterToken, null, ct);

    /// <summary>An operator erases a workspace (operator token required), as its owner can.</summary>
    public Task EraseWorkspaceAsync(string operatorToken, Guid workspaceId, CancellationToken ct = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, $"/admin/workspaces/{workspaceId}", operatorToken, null, ct);

    /// <summary>A page of an app's workspaces, in id order (operator token required); 404 <c>app-not-found</c> throws.</summary>
    public Task<AdminWorkspacePage> ListWorkspacesAsync(
        string operatorToken, string appId, int? limit = null, string? cursor = null, CancellationToken ct = default)
    {
        var query = string.Join('&', new[] { limit is { } l ? $"limit={l}" : null, cursor is { } c ? $"cursor={Uri.EscapeDataString(c)}" : null }
            .Where(p => p is not null));
        return SendAsync<AdminWorkspacePage>(
            HttpMethod.Get, $"/admin/apps/{Uri.EscapeDataString(appId)}/workspaces{(query.Length > 0 ? "?" + query : "")}", operatorToken, null, ct);
    }

    /// <summary>One workspace as operators see it (operator token required): 404 <c>workspace-not-found</c>, 410 <c>workspace-deleted</c> throw.</summary>
    public Task<AdminWorkspace> GetWorkspaceAsOperatorAsync(string operatorToken, Guid workspaceId, CancellationToken ct = default) =>
        SendAsync<AdminWorkspace>(HttpMethod.Get, $"/admin/workspaces/{workspaceId}", operatorToken, null, ct);

    /// <summary>An app's usage (operator token required); 404 <c>app-not-found</c> throws.</summary>
    public Task<AppUsage> GetAppUsageAsync(string operatorToken, string appId, CancellationToken ct = default) =>
        SendAsync<AppUsage>(HttpMethod.Get, $"/admin/apps/{Uri.EscapeDataString(appId)}/usage", operatorToken, null, ct);

    /// <summary>
    /// A lost or stolen device (operator token required): every token of <paramref name="clientId"/> in every workspace
    /// of <paramref name="appId"/> is revoked; 404 <c>not-found</c> when it has none there.
    /// </summary>
    public Task<RevokedDevice> RevokeDeviceAsync(string operatorToken, string appId, Guid clientId, CancellationToken ct = default) =>
        SendAsync<RevokedDevice>(HttpMethod.Delete, $"/admin/apps/{Uri.EscapeDataString(appId)}/clients/{clientId}", operatorToken, null, ct);

    /// <summary>Auth's signing keys, oldest first (operator token required).</summary>
    public Task<IReadOnlyList<SigningKeyInfo>> ListSigningKeysAsync(string operatorToken, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<SigningKeyInfo>>(HttpMethod.Get, "/admin/keys", operatorToken, null, ct);

    /// <summary>
    /// Adds a signing key (operator token required): published at once, signing after
    /// <paramref name="activateInMinutes"/> (15 when null, longer than validators' 10-minute key refresh).
    /// </summary>
    public Task<SigningKeyInfo> AddSigningKeyAsync(string operatorToken, int? activateInMinutes = null, CancellationToken ct = default) =>
        SendAsync<SigningKeyInfo>(HttpMethod.Post, "/admin/keys", operatorToken, new { activateInMinutes }, ct);

    /// <summary>Retires a signing key (operator token required): its tokens are refused; 409 <c>conflict</c> while it is the only one that signs.</summary>
    public Task<SigningKeyInfo> RetireSigningKeyAsync(string operatorToken, string kid, CancellationToken ct = default) =>
        SendAsync<SigningKeyInfo>(HttpMethod.Post, $"/admin/keys/{Uri.EscapeDataString(kid)}/retire", operatorToken, null, ct);

    /// <summary>
    /// Streams a workspace's archive (operator token required) into <paramref name="destination"/>, reporting the bytes
    /// written so far; returns how many. The archive is never held in memory.
    /// </summary>
    public async Task<long> ExportWorkspaceAsync(
        string operatorToken, Guid workspaceId, Stream destination, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/admin/workspaces/{workspaceId}/archive");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", operatorToken);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await ThrowIfProblemAsync(response, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            await destination.WriteAsync(buffer.AsMemory(0, read), ct);
            total += read;
            progress?.Report(total);
        }

        return total;
    }

    /// <summary>
    /// Restores an archive into <paramref name="appId"/> (operator token required), streamed from <paramref name="archive"/>
    /// with the bytes sent so far reported; the answer carries the owner's new master token. 409 <c>workspace-exists</c>,
    /// 410 <c>workspace-deleted</c> and 422 <c>invalid-document</c> (corrupt or truncated) throw.
    /// </summary>
    public async Task<RestoredWorkspace> RestoreWorkspaceAsync(
        string operatorToken, string appId, Stream archive, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/apps/{Uri.EscapeDataString(appId)}/archives")
        {
            Content = new ProgressContent(archive, progress),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.syncengine.archive");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", operatorToken);
        using var response = await http.SendAsync(request, ct);
        await ThrowIfProblemAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<RestoredWorkspace>(Json, ct))!;
    }

    /// <summary>A stream as a request body, reporting the bytes sent.</summary>
    private sealed class ProgressContent(Stream source, IProgress<long>? progress) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                total += read;
                progress?.Report(total);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = source.CanSeek ? source.Length - source.Position : -1;
            return source.CanSeek;
        }
    }

    private static async Task ThrowIfProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var problem = await TryReadProblem(response, ct);
        throw new SyncEngineApiException(
            response.StatusCode,
            problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("code", out var code) ? code.GetString() : null,
            problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("detail", out var detail) ? detail.GetString() : null);
    }

    private async Task<T> SendAsync<T>(
        HttpMethod method, string path, string? token, object? body, CancellationToken ct, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        using var response = await http.SendAsync(request, ct);
        await ThrowIfProblemAsync(response, ct);

        if (response.Content.Headers.ContentLength == 0 || response.StatusCode == System.Net.HttpStatusCode.NoContent)
        {
            return default!;
        }

        return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
    }

    private static async Task<JsonElement> TryReadProblem(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        }
        catch (JsonException)
        {
            return default;
        }
    }
}
