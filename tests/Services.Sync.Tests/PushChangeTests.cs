using Microsoft.AspNetCore.Mvc;
using Services.Sync.Changes;
using Xunit;

namespace Services.Sync.Tests;

public sealed class PushChangeTests
{
    private static readonly MaxSchemaVersion.Limits Limits = new(2, 4096, MaxWorkspaceBytes: 1000, AppId: "notes", MaxAppBytes: 5000);

    private static readonly Guid Key = Guid.NewGuid();
    private static readonly PushHeaders Headers = new(Key, 2);

    private static ProblemDetails Problem(Validated<PushHeaders> validated) =>
        Assert.IsType<Validated<PushHeaders>.Invalid>(validated).Problem;

    private static void AssertProblem(ProblemDetails problem, int status, string code)
    {
        Assert.Equal(status, problem.Status);
        Assert.Equal(code, problem.Extensions["code"]);
    }

    [Fact]
    public void well_formed_headers_give_the_key_and_version() =>
        Assert.Equal(Validated.Valid(new PushHeaders(Key, 2)), PushChange.Validate(Key.ToString(), "2", maxSchemaVersion: 2));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-uuid")]
    public void an_idempotency_key_that_is_not_a_uuid_is_an_invalid_request(string? key) =>
        AssertProblem(Problem(PushChange.Validate(key, "1", 2)), 400, "invalid-request");

    [Fact]
    public void the_key_is_checked_before_the_version() =>
        AssertProblem(Problem(PushChange.Validate("nope", default, 2)), 400, "invalid-request");

    [Fact]
    public void a_missing_schema_version_is_its_own_code() =>
        AssertProblem(Problem(PushChange.Validate(Key.ToString(), default, 2)), 400, "missing-version");

    [Theory]
    [InlineData("-1")]
    [InlineData("one")]
    [InlineData("")]
    public void a_schema_version_that_is_not_a_non_negative_integer_is_an_invalid_request(string version) =>
        AssertProblem(Problem(PushChange.Validate(Key.ToString(), version, 2)), 400, "invalid-request");

    [Fact]
    public void a_version_above_the_newest_released_is_unknown_and_names_the_newest()
    {
        var problem = Problem(PushChange.Validate(Key.ToString(), "3", maxSchemaVersion: 2));

        AssertProblem(problem, 400, "unknown-version");
        Assert.Equal(2, problem.Extensions["maxSchemaVersion"]);
    }

    [Fact]
    public void the_push_functions_outcomes_read_as_what_the_push_amounted_to()
    {
        Assert.Equal(new PushOutcome.Appended(7), PushOutcome.Read("appended", 7, 2, 100, SyncSchema.LoroFormat));
        Assert.Equal(new PushOutcome.Replayed(5), PushOutcome.Read("replay", 5, 2, 100, SyncSchema.LoroFormat));
        Assert.Equal(new PushOutcome.KeyConflict(5), PushOutcome.Read("key-conflict", 5, 2, 100, SyncSchema.LoroFormat));
        Assert.Equal(new PushOutcome.Outdated(3), PushOutcome.Read("outdated", 9, 3, 100, SyncSchema.LoroFormat));
        Assert.Equal(new PushOutcome.OverQuota(100), PushOutcome.Read("quota", 9, 2, 100, SyncSchema.LoroFormat));
        Assert.Equal(new PushOutcome.AppOverQuota(100), PushOutcome.Read("app-quota", 9, 2, 100, SyncSchema.LoroFormat));
        Assert.Throws<InvalidOperationException>(() => PushOutcome.Read("something-new", 9, 2, 100, SyncSchema.LoroFormat));
    }

    [Fact]
    public void a_wrong_format_names_the_workspaces_format_which_is_the_one_the_body_is_not()
    {
        Assert.Equal(new PushOutcome.WrongFormat(SyncSchema.OpaqueFormat), PushOutcome.Read("wrong-format", 9, 2, 100, SyncSchema.LoroFormat));
        Assert.Equal(new PushOutcome.WrongFormat(SyncSchema.LoroFormat), PushOutcome.Read("wrong-format", 9, 2, 100, SyncSchema.OpaqueFormat));
    }

    [Fact]
    public void a_key_used_for_other_bytes_is_an_idempotency_conflict() =>
        AssertProblem(PushChange.Refusal(new PushOutcome.KeyConflict(5), Headers, Limits), 409, "idempotency-conflict");

    [Fact]
    public void an_outdated_push_is_a_conflict_that_names_the_workspaces_version()
    {
        var problem = PushChange.Refusal(new PushOutcome.Outdated(3), Headers, Limits);

        AssertProblem(problem, 409, "outdated-version");
        Assert.Equal(3, problem.Extensions["currentVersion"]);
    }

    [Fact]
    public void a_push_over_the_quota_is_forbidden_and_says_the_limit_and_what_is_used()
    {
        var problem = PushChange.Refusal(new PushOutcome.OverQuota(900), Headers, Limits);

        AssertProblem(problem, 403, "quota-exceeded");
        Assert.Equal("maxWorkspaceBytes", problem.Extensions["quota"]);
        Assert.Equal(1000L, problem.Extensions["limit"]);
        Assert.Equal(900L, problem.Extensions["used"]);
    }

    [Fact]
    public void a_push_over_the_apps_bytes_is_forbidden_and_names_max_app_bytes()
    {
        var problem = PushChange.Refusal(new PushOutcome.AppOverQuota(4900), Headers, Limits);

        AssertProblem(problem, 403, "quota-exceeded");
        Assert.Equal("maxAppBytes", problem.Extensions["quota"]);
        Assert.Equal(5000L, problem.Extensions["limit"]);
        Assert.Equal(4900L, problem.Extensions["used"]);
    }

    [Fact]
    public void a_body_of_the_other_format_is_an_invalid_document() =>
        AssertProblem(PushChange.Refusal(new PushOutcome.WrongFormat(SyncSchema.LoroFormat), Headers, Limits), 422, "invalid-document");

    [Fact]
    public void an_append_or_a_replay_is_no_refusal()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PushChange.Refusal(new PushOutcome.Appended(1), Headers, Limits));
        Assert.Throws<ArgumentOutOfRangeException>(() => PushChange.Refusal(new PushOutcome.Replayed(1), Headers, Limits));
    }
}
