using System.Text.Json;
using Services.Workspace.Workspaces;
using Xunit;

namespace Services.Workspace.Tests;

public sealed class ClaimWorkspaceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid WorkspaceId = Guid.NewGuid();
    private static readonly Guid Owner = Guid.NewGuid();
    private const string Key = "key-1";
    private static readonly TimeSpan Window = TimeSpan.FromHours(24);

    private static Workspaces.Workspace Claimed() =>
        Workspaces.Workspace.Create(new WorkspaceCreated(WorkspaceId, Owner, ClaimWorkspace.HashKey(Key), Now.AddMinutes(-5)));

    [Fact]
    public void claiming_a_new_id_starts_the_stream_with_the_owner_and_the_keys_hash_never_the_key()
    {
        var decision = ClaimWorkspace.Decide(null, new ClaimWorkspaceRequest(WorkspaceId, Owner), Key, Now, Window);

        var start = Assert.IsType<ClaimDecision.Start>(decision);
        Assert.Equal(new WorkspaceCreated(WorkspaceId, Owner, ClaimWorkspace.HashKey(Key), Now), start.Created);
        Assert.Null(start.Created.ClaimKey);
        Assert.DoesNotContain(Key, JsonSerializer.Serialize(start.Created));
    }

    [Fact]
    public void the_key_hash_is_the_hex_sha256_of_the_key()
    {
        Assert.Equal(64, ClaimWorkspace.HashKey(Key).Length);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("key-1"u8)), ClaimWorkspace.HashKey(Key));
        Assert.NotEqual(ClaimWorkspace.HashKey("key-2"), ClaimWorkspace.HashKey(Key));
    }

    [Fact]
    public void a_workspace_created_before_keys_were_hashed_still_recognises_its_retry()
    {
        var oldEvent = JsonSerializer.Deserialize<WorkspaceCreated>(
            $$$"""{"WorkspaceId":"{{{WorkspaceId}}}","OwnerClientId":"{{{Owner}}}","ClaimKey":"{{{Key}}}","CreatedAt":"2026-11-27T09:00:00+00:00"}""")!;
        var fromOldEvent = Workspaces.Workspace.Create(oldEvent);
        var oldSnapshot = new Workspaces.Workspace { Id = WorkspaceId, OwnerClientId = Owner, ClaimKey = Key, CreatedAt = Now.AddHours(-1) };

        Assert.Equal(ClaimWorkspace.HashKey(Key), fromOldEvent.ClaimKeyHash);
        Assert.IsType<ClaimDecision.Retry>(ClaimWorkspace.Decide(fromOldEvent, new ClaimWorkspaceRequest(WorkspaceId, Owner), Key, Now, Window));
        Assert.IsType<ClaimDecision.Retry>(ClaimWorkspace.Decide(oldSnapshot, new ClaimWorkspaceRequest(WorkspaceId, Owner), Key, Now, Window));
        Assert.IsType<ClaimDecision.Exists>(ClaimWorkspace.Decide(oldSnapshot, new ClaimWorkspaceRequest(WorkspaceId, Owner), "key-2", Now, Window));
    }

    [Fact]
    public void the_same_client_with_the_same_key_is_a_retry_of_its_claim()
    {
        var existing = Claimed();

        var decision = ClaimWorkspace.Decide(existing, new ClaimWorkspaceRequest(WorkspaceId, Owner), Key, Now, Window);

        Assert.Same(existing, Assert.IsType<ClaimDecision.Retry>(decision).Workspace);
    }

    [Fact]
    public void another_client_with_the_same_key_finds_the_workspace_exists()
    {
        var decision = ClaimWorkspace.Decide(Claimed(), new ClaimWorkspaceRequest(WorkspaceId, Guid.NewGuid()), Key, Now, Window);

        Assert.IsType<ClaimDecision.Exists>(decision);
    }

    [Fact]
    public void the_owner_with_another_key_finds_the_workspace_exists()
    {
        var decision = ClaimWorkspace.Decide(Claimed(), new ClaimWorkspaceRequest(WorkspaceId, Owner), "key-2", Now, Window);

        Assert.IsType<ClaimDecision.Exists>(decision);
    }

    [Fact]
    public void keys_are_compared_exactly()
    {
        var decision = ClaimWorkspace.Decide(Claimed(), new ClaimWorkspaceRequest(WorkspaceId, Owner), "KEY-1", Now, Window);

        Assert.IsType<ClaimDecision.Exists>(decision);
    }

    [Fact]
    public void a_retry_is_recognised_up_to_the_end_of_the_window_and_not_after()
    {
        var existing = Claimed();
        var request = new ClaimWorkspaceRequest(WorkspaceId, Owner);

        Assert.IsType<ClaimDecision.Retry>(ClaimWorkspace.Decide(existing, request, Key, existing.CreatedAt + Window, Window));
        Assert.IsType<ClaimDecision.Exists>(ClaimWorkspace.Decide(existing, request, Key, existing.CreatedAt + Window + TimeSpan.FromTicks(1), Window));
    }

    [Fact]
    public void the_retry_window_follows_its_setting()
    {
        var existing = Claimed();

        Assert.IsType<ClaimDecision.Exists>(
            ClaimWorkspace.Decide(existing, new ClaimWorkspaceRequest(WorkspaceId, Owner), Key, existing.CreatedAt.AddSeconds(4), TimeSpan.FromSeconds(3)));
        Assert.Equal(TimeSpan.FromHours(24), new ClaimOptions().ClaimRetryWindow);
    }

    [Fact]
    public void once_the_owner_ended_its_other_master_tokens_a_retry_with_the_claims_key_finds_the_workspace_exists()
    {
        var existing = Claimed();
        var request = new ClaimWorkspaceRequest(WorkspaceId, Owner);
        Assert.IsType<ClaimDecision.Retry>(ClaimWorkspace.Decide(existing, request, Key, Now, Window));

        existing.Apply(new MasterTokensEnded([Guid.NewGuid()], Owner, Now));

        Assert.Null(existing.ClaimKeyHash);
        Assert.IsType<ClaimDecision.Exists>(ClaimWorkspace.Decide(existing, request, Key, Now, Window));
    }

    [Fact]
    public void ending_master_tokens_also_ends_the_retries_of_a_snapshot_that_kept_the_plain_key()
    {
        var oldSnapshot = new Workspaces.Workspace { Id = WorkspaceId, OwnerClientId = Owner, ClaimKey = Key, CreatedAt = Now.AddHours(-1) };

        oldSnapshot.Apply(new MasterTokensEnded([Guid.NewGuid()], Owner, Now));

        Assert.Null(oldSnapshot.ClaimKey);
        Assert.IsType<ClaimDecision.Exists>(ClaimWorkspace.Decide(oldSnapshot, new ClaimWorkspaceRequest(WorkspaceId, Owner), Key, Now, Window));
    }

    [Fact]
    public void a_snapshot_that_recorded_ended_master_tokens_but_kept_the_key_hash_accepts_no_retry()
    {
        var existing = Claimed();
        existing.EndedMasterTokenIds.Add(Guid.NewGuid());

        Assert.IsType<ClaimDecision.Exists>(ClaimWorkspace.Decide(existing, new ClaimWorkspaceRequest(WorkspaceId, Owner), Key, Now, Window));
    }

    [Fact]
    public void a_workspace_claimed_without_a_key_accepts_no_retry()
    {
        var legacy = Claimed();
        legacy.ClaimKeyHash = null;

        var decision = ClaimWorkspace.Decide(legacy, new ClaimWorkspaceRequest(WorkspaceId, Owner), Key, Now, Window);

        Assert.IsType<ClaimDecision.Exists>(decision);
    }

    [Fact]
    public void a_valid_claim_passes_validation()
    {
        var problem = ClaimWorkspace.Validate(new ClaimWorkspaceRequest(WorkspaceId, Owner), Key);

        Assert.Same(Wolverine.Http.WolverineContinue.NoProblems, problem);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void a_claim_without_an_idempotency_key_is_an_invalid_request(string? key)
    {
        var problem = ClaimWorkspace.Validate(new ClaimWorkspaceRequest(WorkspaceId, Owner), key);

        AssertInvalidRequest(problem);
    }

    [Fact]
    public void an_idempotency_key_of_200_characters_is_accepted_and_201_is_not()
    {
        var request = new ClaimWorkspaceRequest(WorkspaceId, Owner);

        Assert.Same(Wolverine.Http.WolverineContinue.NoProblems, ClaimWorkspace.Validate(request, new string('k', 200)));
        AssertInvalidRequest(ClaimWorkspace.Validate(request, new string('k', 201)));
    }

    [Fact]
    public void a_json_null_body_is_an_invalid_request()
    {
        AssertInvalidRequest(ClaimWorkspace.Validate(null, Key));
    }

    [Fact]
    public void empty_ids_are_invalid_requests()
    {
        AssertInvalidRequest(ClaimWorkspace.Validate(new ClaimWorkspaceRequest(Guid.Empty, Owner), Key));
        AssertInvalidRequest(ClaimWorkspace.Validate(new ClaimWorkspaceRequest(WorkspaceId, Guid.Empty), Key));
    }

    private static void AssertInvalidRequest(Microsoft.AspNetCore.Mvc.ProblemDetails problem)
    {
        Assert.Equal(400, problem.Status);
        Assert.Equal("invalid-request", problem.Extensions["code"]);
    }
}
