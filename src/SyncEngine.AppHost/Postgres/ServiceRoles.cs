using System.Security.Cryptography;

namespace SyncEngine.AppHost.Postgres;

/// <summary>
/// Each service connects to PostgreSQL as its own role, which owns its schema and shares only Wolverine's queue schema
/// (service-roles.sql says how). For the PostgreSQL the AppHost runs, it creates the roles with passwords new at every
/// start, once the server answers and before any service starts; the services then get connection strings of their own.
/// </summary>
public sealed class ServiceRoles : IResourceAnnotation
{
    public static readonly string[] Services = ["auth", "workspace", "sync"];

    private readonly Dictionary<string, string> _passwords =
        Services.ToDictionary(s => s, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant());
    private readonly SemaphoreSlim _once = new(1, 1);
    private bool _provisioned;

    public static string RoleOf(string service) => $"syncengine_{service}";

    /// <summary>The connection string resource a service's <c>ConnectionStrings:syncengine</c> comes from.</summary>
    public static string ConnectionNameOf(string service) => $"{PostgresSetup.ConnectionName}-{service}";

    public string PasswordOf(string service) => _passwords[service];

    /// <summary>Runs service-roles.sql once per AppHost run, as the superuser of <paramref name="superuserConnectionString"/>.</summary>
    public async Task ProvisionAsync(string superuserConnectionString, CancellationToken ct)
    {
        await _once.WaitAsync(ct);
        try
        {
            if (_provisioned)
            {
                return;
            }

            await ServiceRoleProvisioning.RunAsync(superuserConnectionString, _passwords, ct);
            _provisioned = true;
        }
        finally
        {
            _once.Release();
        }
    }
}
