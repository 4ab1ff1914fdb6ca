using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;
using Xunit;

namespace SyncEngine.Testing;

/// <summary>
/// One service started in process (its own Program, through WebApplicationFactory) against a <see cref="TestPostgres"/>
/// of its own, connected as the service's own role, with its own Wolverine set-up: the PostgreSQL queues, in solo mode.
/// No other service runs, so what it sends them waits in their queues, and tracked sessions record it; what they would
/// send it is handed to it through <see cref="InvokeAsync"/>. (Wolverine's DisableAllExternalWolverineTransports would
/// also stub its transports, but then left its handler stubs uninitialised: a NullReferenceException in
/// StubWolverineMessageHandling, Wolverine 6.62.) Unless it is Auth, the service fetches Auth's keys from
/// <see cref="Signer"/>, which signs the tests' tokens. Usually an xunit assembly fixture; a test that needs other settings, or to stop one, starts its own.
/// </summary>
public abstract class ServiceHost<TEntryPoint>(string service, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<TEntryPoint>, IAsyncLifetime where TEntryPoint : class
{
    private static readonly TimeSpan MessageTimeout = TimeSpan.FromSeconds(15);
    private readonly SemaphoreSlim _tracking = new(1, 1);
    private TestPostgres? _database;

    public TestSigner Signer { get; } = new();

    public TestPostgres Database => _database ?? throw new InvalidOperationException("The database has not started.");

    /// <summary>The service's HTTP API, in memory (no port): raw, for status codes and problems.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The same, through the typed client the end-to-end tests use.</summary>
    public SyncEngine.Client.SyncEngineClient Api { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync()
    {
        // The services end their Program with RunJasperFxCommands, which would read WebApplicationFactory's arguments
        // as a command line; this makes it start the host instead, as a plain run does.
        JasperFx.CommandLine.JasperFxEnvironment.AutoStartHost = true;
        _database = await TestPostgres.StartAsync();
        // The host builds and starts on first use; the service's Program sets up its schema before it runs.
        Http = await Task.Run(() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }));
        Api = new SyncEngine.Client.SyncEngineClient(Http);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:syncengine", Database.ConnectionStringOf(service));
        // Service discovery needs an address for "auth" before the handler below answers in its place.
        builder.UseSetting("services:auth:http:0", "http://auth.test");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            // Under a test runner Wolverine cannot tell which assembly is the application's, and so finds neither the
            // service's handlers nor its pre-generated code.
            services.ConfigureWolverine(opts => opts.ApplicationAssembly = typeof(TEntryPoint).Assembly);
            services.RunWolverineInSoloMode();
            services.AddHttpClient("auth-keys").ConfigurePrimaryHttpMessageHandler(() => new TestSigner.JwksHandler(Signer));
        });
    }

    /// <summary>Hands the service a message another service would send it, and waits until it and what it cascades are handled.</summary>
    public Task<ITrackedSession> InvokeAsync(object message) =>
        OneSessionAtATimeAsync(() => Services.TrackActivity().Timeout(MessageTimeout).InvokeMessageAndWaitAsync(message));

    /// <summary>Hands the service a request another service would send it (request/reply), and returns its reply.</summary>
    public async Task<T> InvokeAsync<T>(object request)
    {
        var (_, reply) = await OneSessionAtATimeAsync(() => Services.TrackActivity().Timeout(MessageTimeout).InvokeAndWaitAsync<T>(request));
        return reply ?? throw new InvalidOperationException($"{request.GetType().Name} got no {typeof(T).Name}.");
    }

    /// <summary>Runs <paramref name="action"/> (typically an HTTP request) and waits for the messages it causes; the session records them.</summary>
    public Task<ITrackedSession> TrackAsync(Func<Task> action) =>
        OneSessionAtATimeAsync(() => Services.TrackActivity().Timeout(MessageTimeout)
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(_ => action())));

    /// <summary>
    /// A host has one active tracked session: a second one started meanwhile takes over its recording, and the first
    /// then waits for an end it never sees (seen here as a timeout when test classes ran in parallel). A session
    /// records whatever the host does while it runs, so tests look for their own messages, not the only ones.
    /// </summary>
    private async Task<TSession> OneSessionAtATimeAsync<TSession>(Func<Task<TSession>> track)
    {
        await _tracking.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            return await track();
        }
        finally
        {
            _tracking.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        await base.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
