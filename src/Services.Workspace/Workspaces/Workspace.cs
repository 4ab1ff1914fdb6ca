namespace Services.Workspace.Workspaces;

/// <summary>A client claimed the workspace and owns it.</summary>
public sealed record WorkspaceCreated(Guid WorkspaceId, Guid OwnerClientId, DateTimeOffset CreatedAt);

/// <summary>The workspace aggregate, rebuilt from its stream and kept inline as a snapshot document.</summary>
public sealed class Workspace
{
    public Guid Id { get; set; }
    public Guid OwnerClientId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public int Version { get; set; }

    public static Workspace Create(WorkspaceCreated created) => new()
    {
        Id = created.WorkspaceId,
        OwnerClientId = created.OwnerClientId,
        CreatedAt = created.CreatedAt,
    };
}
