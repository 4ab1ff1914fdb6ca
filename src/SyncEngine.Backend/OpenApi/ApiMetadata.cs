using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace SyncEngine.Backend.OpenApi;

// Endpoint metadata for what the OpenAPI document cannot infer from a handler's signature: headers and query values a
// handler reads itself, raw binary bodies, and which problem codes a status carries. ApiDocument's transformers read
// them; on Wolverine endpoints and minimal API handlers alike they are attributes on the handler method.

/// <summary>A parameter the handler reads itself (or binds too loosely to describe), e.g. a required header.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ApiParameterAttribute(string name, ParameterLocation location, Type type, string description) : Attribute
{
    public string Name { get; } = name;
    public ParameterLocation Location { get; } = location;
    /// <summary>Guid, string, int or long: described as JSON Schema the way System.Text.Json would write it.</summary>
    public Type Type { get; } = type;
    public string Description { get; } = description;
    public bool Required { get; set; } = location == ParameterLocation.Path;
}

/// <summary>A header every success response of the endpoint carries.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ApiResponseHeaderAttribute(string name, Type type, string description) : Attribute
{
    public string Name { get; } = name;
    public Type Type { get; } = type;
    public string Description { get; } = description;
}

/// <summary>
/// A raw binary request body the handler reads from the stream. Deliberately not <c>IAcceptsMetadata</c>: routing
/// would then refuse requests with another or no Content-Type (415), and clients may send the bytes either way.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ApiBinaryBodyAttribute(string contentType, string description) : Attribute
{
    public string ContentType { get; } = contentType;
    public string Description { get; } = description;
}

/// <summary>A raw binary response body, e.g. the framed changes of a pull.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ApiBinaryResponseAttribute(int statusCode, string contentType, string description) : Attribute, IProducesResponseTypeMetadata
{
    public int StatusCode { get; } = statusCode;
    public string ContentType { get; } = contentType;
    public string Description { get; } = description;

    Type? IProducesResponseTypeMetadata.Type => null;
    IEnumerable<string> IProducesResponseTypeMetadata.ContentTypes => [ContentType];
}

/// <summary>
/// An <c>application/problem+json</c> response with the <c>code</c>s it may carry (ProblemCodes). Several attributes
/// with the same status are merged.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ProblemResponseAttribute(int statusCode, params string[] codes) : Attribute, IProducesResponseTypeMetadata
{
    public const string ContentType = "application/problem+json";

    public int StatusCode { get; } = statusCode;
    public IReadOnlyList<string> Codes { get; } = codes;
    /// <summary>When the codes alone do not say why this status happens.</summary>
    public string? Description { get; set; }

    Type? IProducesResponseTypeMetadata.Type => typeof(ProblemDetails);
    IEnumerable<string> IProducesResponseTypeMetadata.ContentTypes => [ContentType];
}
