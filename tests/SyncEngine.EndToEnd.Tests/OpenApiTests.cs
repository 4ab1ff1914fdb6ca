using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// The browser client's API types are generated from committed copies of the services' OpenAPI documents
/// (src/Client.Web/packages/sync/openapi). When a service's document no longer matches its copy, the test writes the new
/// document over the copy and fails, so the change shows up in the diff next to the code that caused it.
/// </summary>
[Collection(SyncEngineCollection.Name)]
public sealed class OpenApiTests(SyncEngineApp app)
{
    private static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        NewLine = "\n",
        // Descriptions are prose: keep apostrophes and the like readable in the committed file.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("auth")]
    [InlineData("workspace")]
    [InlineData("sync")]
    public async Task committed_openapi_document_is_what_the_service_serves(string service)
    {
        var served = await ServedDocumentAsync(service);
        var relative = Path.Combine("src", "Client.Web", "packages", "sync", "openapi", $"{service}.json");
        var path = Path.Combine(Repository.Root, relative);
        var committed = File.Exists(path) ? JsonNode.Parse(await File.ReadAllTextAsync(path, Ct)) : null;

        if (committed is not null && Canonical(committed) == Canonical(served))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, served.ToJsonString(Pretty) + "\n", Ct);
        Assert.Fail(
            $"The {service} service's OpenAPI document differs from {relative}, so the file was updated with what the service " +
            "serves now. Review the change, run `npm run api` in src/Client.Web to regenerate the TypeScript types, and commit both.");
    }

    [Theory]
    [InlineData("auth", "grantAccess joinWorkspace listTokens revokeAccess")]
    [InlineData("workspace", "claimWorkspace deleteWorkspace getWorkspace getWorkspaceHistory")]
    [InlineData("sync", "liveEvents pullChanges pushChange syncSocket uploadSnapshot")]
    public async Task document_names_each_public_route_and_no_server_address(string service, string operationIds)
    {
        var served = await ServedDocumentAsync(service);

        var operations = served["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(operation => (Path: path.Key, Operation: operation.Value!)))
            .ToList();
        Assert.Equal(operationIds.Split(' '), operations.Select(o => (string)o.Operation["operationId"]!).Order(StringComparer.Ordinal));
        Assert.All(operations, o => Assert.StartsWith("/api/", o.Path, StringComparison.Ordinal));
        Assert.Null(served["servers"]);
        Assert.Contains("code", served["components"]!["schemas"]!["ProblemDetails"]!["required"]!.AsArray().Select(n => (string)n!));
    }

    private async Task<JsonNode> ServedDocumentAsync(string service)
    {
        using var client = app.CreateServiceClient(service);
        return JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json", Ct))
            ?? throw new InvalidOperationException($"{service} served an empty document.");
    }

    /// <summary>Compact JSON with every object's members in name order: equal for equal content, whatever the formatting.</summary>
    private static string Canonical(JsonNode node) => Sorted(node)?.ToJsonString() ?? "null";

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Sorted).ToArray()),
        _ => node?.DeepClone(),
    };
}
