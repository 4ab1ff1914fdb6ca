using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.OpenApi;
using SyncEngine.ServiceDefaults.Problems;
using SyncEngine.Backend.Security;

namespace SyncEngine.Backend.OpenApi;

/// <summary>
/// Each service's OpenAPI document, at /openapi/v1.json on the service's own port (the gateway routes only /api there).
/// The browser client's types are generated from committed copies of it (src/Client.Web/packages/sync/openapi), so it
/// describes only the public /api routes, carries no server address, and keeps a stable order: an unchanged API gives an
/// identical document.
/// </summary>
public static class ApiDocument
{
    private const string DocumentPath = "/openapi/{documentName}.json";
    private const string BearerScheme = "bearer";
    private const string ProblemSchema = nameof(ProblemDetails);

    public static IHostApplicationBuilder AddApiDocument(this IHostApplicationBuilder builder, string title)
    {
        builder.Services.AddOpenApi(options =>
        {
            // Health, metrics and /.well-known (OpenID discovery and JWKS, specified by their own standards) stay out.
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            options.AddSchemaTransformer(TransformSchema);
            options.AddOperationTransformer(TransformOperationAsync);
            options.AddDocumentTransformer((document, _, _) =>
            {
                Finish(document, title);
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    public static WebApplication MapApiDocument(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath);
        return app;
    }

    private static Task TransformSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        // The web defaults also read numbers written as strings; the API writes numbers and expects them, so say only
        // that (otherwise every generated integer type is `number | string`).
        if (schema.Type is { } type && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number))
            && type.HasFlag(JsonSchemaType.String))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        if (context.JsonPropertyInfo?.AttributeProvider is { } member)
        {
            DescribeMember(schema, member);
        }

        if (schema.Required is { Count: > 0 } required)
        {
            // Constructor parameters count as required, but a member written only when it has a value
            // ([JsonIgnore(Condition = WhenWritingNull)]) may be absent.
            foreach (var property in context.JsonTypeInfo.Properties.Where(p => p.ShouldSerialize is not null))
            {
                required.Remove(property.Name);
            }
        }

        if (context.JsonTypeInfo.Type == typeof(ProblemDetails))
        {
            DescribeProblem(schema);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Data annotations as documentation (Validate methods enforce them): [AllowedValues] is an enum, without null
    /// unless listed; [Required] forbids null; a member only written when it has a value may be absent but is never null.
    /// </summary>
    private static void DescribeMember(OpenApiSchema schema, ICustomAttributeProvider member)
    {
        var nullable = schema.Type?.HasFlag(JsonSchemaType.Null) == true;
        if (member.GetCustomAttributes(typeof(AllowedValuesAttribute), inherit: true) is [AllowedValuesAttribute allowed, ..])
        {
            schema.Enum = allowed.Values.Select(EnumValue).ToList();
            nullable &= allowed.Values.Contains(null);
        }

        if (member.GetCustomAttributes(typeof(RequiredAttribute), inherit: true).Length > 0
            || member.GetCustomAttributes(typeof(JsonIgnoreAttribute), inherit: true) is [JsonIgnoreAttribute { Condition: JsonIgnoreCondition.WhenWritingNull }, ..])
        {
            nullable = false;
        }

        if (!nullable && schema.Type is { } type)
        {
            schema.Type = type & ~JsonSchemaType.Null;
        }
    }

    // A null JsonNode is how Microsoft.OpenApi writes a JSON null.
    private static JsonNode EnumValue(object? value) =>
        value is null ? null! : JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture))!;

    private static OpenApiSchema Member(JsonSchemaType type, string? format, string description) =>
        new() { Type = type, Format = format, Description = description };

    private static void DescribeProblem(OpenApiSchema schema)
    {
        var codes = typeof(ProblemCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(field => field.IsLiteral)
            .Select(field => (string)field.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal);
        schema.Description = "An RFC 9457 problem. `code` is stable and machine-readable; `detail` is for humans.";
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        schema.Properties["code"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Enum = codes.Select(code => (JsonNode)JsonValue.Create(code)).ToList(),
            Description = "What went wrong, for programs.",
        };
        schema.Properties["currentVersion"] = Member(JsonSchemaType.Integer, "int32",
            $"With `{ProblemCodes.OutdatedVersion}`: the workspace's schema version, which the app must reach before it pushes again.");
        schema.Properties["maxSchemaVersion"] = Member(JsonSchemaType.Integer, "int32",
            $"With `{ProblemCodes.UnknownVersion}`: the newest schema version released here; keep the change and push it again later.");
        schema.Properties["quota"] = Member(JsonSchemaType.String, null, $"With `{ProblemCodes.QuotaExceeded}`: which quota, e.g. `maxWorkspaceBytes`.");
        schema.Properties["limit"] = Member(JsonSchemaType.Integer, "int64", $"With `{ProblemCodes.QuotaExceeded}`: the quota's limit.");
        schema.Properties["used"] = Member(JsonSchemaType.Integer, "int64",
            $"With `{ProblemCodes.QuotaExceeded}`: how much is used now, without the refused write.");
        schema.Required ??= new HashSet<string>();
        schema.Required.Add("code");
    }

    private static async Task TransformOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document ?? throw new InvalidOperationException("The operation has no document.");

        foreach (var declared in metadata.OfType<ApiParameterAttribute>())
        {
            operation.Parameters ??= [];
            if (operation.Parameters.FirstOrDefault(p => p.Name == declared.Name && p.In == declared.Location) is { } bound)
            {
                operation.Parameters.Remove(bound);
            }

            operation.Parameters.Add(new OpenApiParameter
            {
                Name = declared.Name,
                In = declared.Location,
                Required = declared.Required,
                Description = declared.Description,
                Schema = SchemaOf(declared.Type),
            });
        }

        if (metadata.OfType<ApiBinaryBodyAttribute>().LastOrDefault() is { } body)
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = body.Description,
                Content = new Dictionary<string, OpenApiMediaType> { [body.ContentType] = new() { Schema = Binary() } },
            };
        }

        operation.Responses ??= [];
        foreach (var binary in metadata.OfType<ApiBinaryResponseAttribute>())
        {
            operation.Responses[binary.StatusCode.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = binary.Description,
                Content = new Dictionary<string, OpenApiMediaType> { [binary.ContentType] = new() { Schema = Binary() } },
            };
        }

        foreach (var header in metadata.OfType<ApiResponseHeaderAttribute>())
        {
            foreach (var (_, response) in operation.Responses.Where(r => r.Key.StartsWith('2')))
            {
                if (response is OpenApiResponse success)
                {
                    success.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    success.Headers[header.Name] = new OpenApiHeader { Description = header.Description, Schema = SchemaOf(header.Type) };
                }
            }
        }

        var problems = metadata.OfType<ProblemResponseAttribute>().ToList();
        // Refusals made before the handler runs, by the middleware every service shares (TokenValidation).
        if (context.Description.ParameterDescriptions.Any(p => p.Name == AccessPolicies.RouteParameter && p.Source == BindingSource.Path))
        {
            problems.Add(new ProblemResponseAttribute(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest));
            problems.Add(new ProblemResponseAttribute(StatusCodes.Status410Gone, ProblemCodes.WorkspaceDeleted)
            {
                Description = "The workspace was deleted.",
            });
        }

        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
            problems.Add(new ProblemResponseAttribute(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized)
            {
                Description = "No token, or one that is malformed, badly signed, expired or revoked.",
            });
            problems.Add(new ProblemResponseAttribute(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden)
            {
                Description = "A valid token that does not allow this: another workspace's, read-only, or not the master token.",
            });
            if (context.Description.ParameterDescriptions.Any(p => p.Name == AccessPolicies.RouteParameter && p.Source == BindingSource.Path))
            {
                // AppEnforcement, after the token.
                problems.Add(new ProblemResponseAttribute(StatusCodes.Status403Forbidden, ProblemCodes.AppSuspended)
                {
                    Description = "The workspace's app is suspended.",
                });
            }
        }

        await EnsureComponentsAsync(context, document, ct);
        foreach (var status in problems.GroupBy(p => p.StatusCode))
        {
            var codes = status.SelectMany(p => p.Codes).Distinct().Select(code => $"`{code}`");
            var why = string.Join(" ", status.Select(p => p.Description).OfType<string>().Distinct());
            operation.Responses[status.Key.ToString(CultureInfo.InvariantCulture)] =
                ProblemResponse($"{ReasonPhrases.GetReasonPhrase(status.Key)}: {string.Join(", ", codes)}. {why}".TrimEnd(), document);
        }

        operation.Responses["default"] = ProblemResponse(
            $"Any other error, also a problem: e.g. `{ProblemCodes.RateLimited}` (429) or `{ProblemCodes.PayloadTooLarge}` (413) " +
            $"from the gateway, `{ProblemCodes.Unavailable}` (503), `{ProblemCodes.Internal}` (500).", document);

        var sorted = operation.Responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        operation.Responses.Clear();
        foreach (var (status, response) in sorted)
        {
            operation.Responses[status] = response;
        }
    }

    private static async Task EnsureComponentsAsync(OpenApiOperationTransformerContext context, OpenApiDocument document, CancellationToken ct)
    {
        if (document.Components?.Schemas?.ContainsKey(ProblemSchema) != true)
        {
            document.AddComponent(ProblemSchema, await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), cancellationToken: ct));
        }

        if (document.Components?.SecuritySchemes?.ContainsKey(BearerScheme) != true)
        {
            document.AddComponent<IOpenApiSecurityScheme>(BearerScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A SyncEngine token (ES256 JWT) of the route's workspace: the master token from a claim, or a member's from a join.",
            });
        }
    }

    private static OpenApiResponse ProblemResponse(string description, OpenApiDocument document) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            [ProblemResponseAttribute.ContentType] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
        },
    };

    private static OpenApiSchema Binary() => new() { Type = JsonSchemaType.String, Format = "binary" };

    private static OpenApiSchema SchemaOf(Type type) => type switch
    {
        _ when type == typeof(Guid) => new() { Type = JsonSchemaType.String, Format = "uuid" },
        _ when type == typeof(int) => new() { Type = JsonSchemaType.Integer, Format = "int32" },
        _ when type == typeof(long) => new() { Type = JsonSchemaType.Integer, Format = "int64" },
        _ when type == typeof(string) => new() { Type = JsonSchemaType.String },
        _ => throw new NotSupportedException($"No OpenAPI schema for parameter type {type}."),
    };

    private static void Finish(OpenApiDocument document, string title)
    {
        document.Info = new OpenApiInfo
        {
            Title = title,
            Version = "v1",
            Description = "Part of SyncEngine's public HTTP API, served through the gateway under /api (docs/design.md). " +
                "Errors are application/problem+json with a stable `code`.",
        };
        // The address a request came in on (a random port under Aspire) would make every copy differ; paths are absolute.
        document.Servers = [];

        var paths = document.Paths.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        document.Paths.Clear();
        foreach (var (path, item) in paths)
        {
            document.Paths[path] = item;
        }

        if (document.Tags is { Count: > 0 } tags)
        {
            document.Tags = new HashSet<OpenApiTag>(tags.OrderBy(t => t.Name, StringComparer.Ordinal));
        }
    }
}
