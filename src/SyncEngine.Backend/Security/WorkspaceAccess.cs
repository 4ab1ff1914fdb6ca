using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SyncEngine.Tokens;

namespace SyncEngine.Backend.Security;

/// <summary>Named policies for workspace routes: the token's <c>wid</c> must be the route's workspace, plus a level.</summary>
public static class AccessPolicies
{
    /// <summary>Any valid token of the route's workspace.</summary>
    public const string Member = "workspace-member";
    /// <summary>A <c>read_write</c> token of the route's workspace.</summary>
    public const string Writer = "workspace-writer";
    /// <summary>The master token of the route's workspace.</summary>
    public const string Master = "workspace-master";

    public const string RouteParameter = "workspaceId";

    public static AuthorizationOptions AddWorkspacePolicies(this AuthorizationOptions options)
    {
        options.AddPolicy(Member, p => p.RequireAuthenticatedUser().AddRequirements(new WorkspaceAccessRequirement(AccessLevel.Member)));
        options.AddPolicy(Writer, p => p.RequireAuthenticatedUser().AddRequirements(new WorkspaceAccessRequirement(AccessLevel.Writer)));
        options.AddPolicy(Master, p => p.RequireAuthenticatedUser().AddRequirements(new WorkspaceAccessRequirement(AccessLevel.Master)));
        return options;
    }
}

public enum AccessLevel { Member, Writer, Master }

public sealed record WorkspaceAccessRequirement(AccessLevel Level) : IAuthorizationRequirement;

public sealed class WorkspaceAccessHandler : AuthorizationHandler<WorkspaceAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, WorkspaceAccessRequirement requirement)
    {
        var routeWorkspace = context.Resource switch
        {
            HttpContext http => http.GetRouteValue(AccessPolicies.RouteParameter) as string,
            _ => null,
        };
        if (TokenHolder.From(context.User) is { } holder
            && Guid.TryParse(routeWorkspace, out var workspaceId)
            && holder.WorkspaceId == workspaceId
            && requirement.Level switch
            {
                AccessLevel.Member => true,
                AccessLevel.Writer => holder.CanWrite,
                AccessLevel.Master => holder.IsMaster,
                _ => false,
            })
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
