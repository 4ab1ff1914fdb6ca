using Microsoft.AspNetCore.Mvc;
using Services.Auth.Invites;
using Services.Auth.Tokens;
using Xunit;

namespace Services.Auth.Tests;

public sealed class RequestValidationTests
{
    [Fact]
    public void a_json_null_body_is_an_invalid_request_for_grant_and_join()
    {
        AssertInvalidRequest(GrantAccess.Validate(null));
        AssertInvalidRequest(JoinWorkspace.Validate(null));
    }

    [Fact]
    public void well_formed_grant_and_join_requests_pass()
    {
        Assert.Same(Wolverine.Http.WolverineContinue.NoProblems, GrantAccess.Validate(new GrantAccessRequest(Guid.NewGuid(), "read")));
        Assert.Same(Wolverine.Http.WolverineContinue.NoProblems, JoinWorkspace.Validate(new JoinWorkspaceRequest(Guid.NewGuid(), "code")));
    }

    private static void AssertInvalidRequest(ProblemDetails problem)
    {
        Assert.Equal(400, problem.Status);
        Assert.Equal("invalid-request", problem.Extensions["code"]);
    }
}
