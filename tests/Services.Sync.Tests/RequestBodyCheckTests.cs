using Microsoft.AspNetCore.Mvc;
using Services.Sync.Changes;
using Xunit;
using static Services.Sync.Changes.LoroEnvelope;

namespace Services.Sync.Tests;

/// <summary>What a change or snapshot body must be before the log is locked (RequestBody.Check).</summary>
public sealed class RequestBodyCheckTests
{
    private static byte[] Vector(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "LoroVectors", name));

    private static ProblemDetails Refused(Validated<CheckedBody> checkedBody) =>
        Assert.IsType<Validated<CheckedBody>.Invalid>(checkedBody).Problem;

    [Fact]
    public void a_body_over_the_limit_is_payload_too_large_and_names_the_limit()
    {
        var problem = Refused(RequestBody.Check(null, 1000, Mode.FastUpdates, "empty"));

        Assert.Equal(413, problem.Status);
        Assert.Equal("payload-too-large", problem.Extensions["code"]);
        Assert.Contains("1000", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void an_empty_body_is_an_invalid_request_in_the_routes_words()
    {
        var problem = Refused(RequestBody.Check([], 1000, Mode.FastUpdates, "A change cannot be empty."));

        Assert.Equal(400, problem.Status);
        Assert.Equal("A change cannot be empty.", problem.Detail);
    }

    [Fact]
    public void bytes_that_are_not_loro_are_stored_as_opaque()
    {
        byte[] data = [1, 2, 3];

        Assert.Equal(Validated.Valid(new CheckedBody(data, SyncSchema.OpaqueFormat)), RequestBody.Check(data, 1000, Mode.FastUpdates, "empty"));
    }

    [Fact]
    public void an_intact_loro_export_of_the_routes_mode_is_loro()
    {
        var update = Vector("update.bin");
        var snapshot = Vector("snapshot.bin");

        Assert.Equal(Validated.Valid(new CheckedBody(update, SyncSchema.LoroFormat)), RequestBody.Check(update, 1 << 20, Mode.FastUpdates, "empty"));
        Assert.Equal(Validated.Valid(new CheckedBody(snapshot, SyncSchema.LoroFormat)), RequestBody.Check(snapshot, 1 << 20, Mode.FastSnapshot, "empty"));
    }

    [Fact]
    public void a_loro_export_of_the_other_mode_or_a_corrupt_one_is_an_invalid_document()
    {
        var truncated = Vector("update.bin")[..30];

        Assert.Equal("invalid-document", Refused(RequestBody.Check(Vector("snapshot.bin"), 1 << 20, Mode.FastUpdates, "empty")).Extensions["code"]);
        Assert.Equal("invalid-document", Refused(RequestBody.Check(Vector("update.bin"), 1 << 20, Mode.FastSnapshot, "empty")).Extensions["code"]);
        Assert.Equal(422, Refused(RequestBody.Check(truncated, 1 << 20, Mode.FastUpdates, "empty")).Status);
    }
}
