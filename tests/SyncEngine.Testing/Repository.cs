namespace SyncEngine.Testing;

/// <summary>The checkout the tests run from, for files they keep current (OpenAPI documents, screenshots).</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SyncEngine.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No SyncEngine.sln above {AppContext.BaseDirectory}.");
    }
}
