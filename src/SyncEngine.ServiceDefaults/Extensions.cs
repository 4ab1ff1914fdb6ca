using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;
using SyncEngine.ServiceDefaults.Problems;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>What every SyncEngine process (the services and the gateway) shares: telemetry, health, service discovery, resilience, problem details.</summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    /// <summary>Trace sources beyond ASP.NET Core and HttpClient that every service exports.</summary>
    public static readonly string[] TelemetrySources = ["Wolverine", "Marten", "Npgsql", "SyncEngine.*"];

    /// <summary>
    /// Meters beyond ASP.NET Core, HttpClient and the runtime. Wolverine names its meter "Wolverine:" + the service
    /// name (WolverineRuntime), so plain "Wolverine" would match nothing; AddMeter takes the wildcard.
    /// </summary>
    public static readonly string[] MeterNames = ["Wolverine:*", "Marten", "Npgsql", "SyncEngine.*"];

    /// <summary>
    /// A named HttpClient without the standard resilience handler <see cref="AddServiceDefaults{TBuilder}"/> gives every
    /// client: for callers that retry by themselves and must not be held up by the handler's pipeline (Auth's key
    /// fetch; SyncEngine.Tokens' <c>AuthKeys.HttpClientName</c> says why).
    /// </summary>
    public static IServiceCollection AddHttpClientWithoutResilience(this IServiceCollection services, string name)
    {
        // The API is marked for evaluation; should it go, such a client is built without the defaults instead.
#pragma warning disable EXTEXP0001
        services.AddHttpClient(name).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return services;
    }

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        builder.Services.AddSyncEngineProblemDetails();
        // Everything a service acknowledges is committed first and every message waits in a durable inbox, so stopping
        // loses nothing by not waiting long. Orchestrators do not wait long either: Aspire's DCP sends SIGKILL 6 s after
        // SIGTERM (a restart then failed now and then, RestartTests), Kubernetes after its grace period. The default 30 s
        // let a slow drain run into those kills.
        builder.Services.Configure<HostOptions>(options =>
            options.ShutdownTimeout = builder.Configuration.GetValue("Hosting:ShutdownTimeout", TimeSpan.FromSeconds(3)));
        // Services sit behind the gateway on loopback (the default known proxy); trust its X-Forwarded-* there.
        builder.Services.Configure<ForwardedHeadersOptions>(options => options.ForwardedHeaders =
            ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost);
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(MeterNames)
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetrySources)
                .AddAspNetCoreInstrumentation(aspnet =>
                    // Health probes every few seconds would bury the requests that matter.
                    aspnet.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                        && !context.Request.Path.StartsWithSegments("/metrics"))
                .AddHttpClientInstrumentation()
                .AddNpgsql());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Where a process whose main port is public (the gateway) serves /metrics, /health and /alive instead; unset, they
    /// answer on every port the process listens on, which for a service means only its own, unexposed one.
    /// </summary>
    public const string ManagementPortSetting = "Management:Port";

    /// <summary>
    /// /health (ready: every check), /alive (the process answers) and /metrics (Prometheus text, for scrapers that do
    /// not take OTLP). With <see cref="ManagementPortSetting"/> set they answer only on that port, and elsewhere the
    /// paths are 404 problems: metrics name routes, clients and internal ports, which the public has no business reading.
    /// The management port serves nothing else either: a scraper's network is not where the public API should be
    /// reachable too, past whatever fronts the public port.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        var management = new ManagementEndpoint();
        app.MapPrometheusScrapingEndpoint().WithMetadata(management);
        app.MapHealthChecks(HealthEndpointPath).WithMetadata(management);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") }).WithMetadata(management);
        if (app.Configuration.GetValue<int?>(ManagementPortSetting) is { } port)
        {
            // Routing has chosen the endpoint by now and only it runs after this; the port a request came in on is the
            // listener's, which no header can change.
            app.Use(next => context =>
                (context.GetEndpoint()?.Metadata.GetMetadata<ManagementEndpoint>() is not null) != (context.Connection.LocalPort == port)
                    ? Problem.Result(Problem.Create(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "No such route.")).ExecuteAsync(context)
                    : next(context));
        }

        return app;
    }

    private sealed class ManagementEndpoint;
}
