using Microsoft.Extensions.Configuration;

namespace SyncEngine.AppHost;

/// <summary>
/// The git-ignored folder where the AppHost keeps what development needs across runs (the PostgreSQL cluster, npm's
/// PostgreSQL, generated secrets): <c>.data/</c> at the repository root, or <c>Postgres:DataDirectory</c> (tests point
/// it at a temporary folder).
/// </summary>
public static class DevelopmentData
{
    public static string Root(IDistributedApplicationBuilder builder) =>
        builder.Configuration["Postgres:DataDirectory"] is { Length: > 0 } dataDirectory
            ? Path.GetFullPath(dataDirectory, builder.AppHostDirectory)
            : Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "..", ".data"));

    /// <summary>
    /// A secret kept in <c>{Root}/{fileName}</c>, readable by the current user only, created by <paramref name="generate"/>
    /// the first time: the same value on every run, so what it protects stays readable.
    /// </summary>
    public static string Secret(IDistributedApplicationBuilder builder, string fileName, Func<string> generate)
    {
        var path = Path.Combine(Root(builder), fileName);
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var value = generate();
        File.WriteAllText(path, value);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return value;
    }
}
