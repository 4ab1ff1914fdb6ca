using Aspire.Hosting;
using SyncEngine.Topology;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace SyncEngine.AppHost.Tests;

/// <summary>
/// deploy/ (Compose and Kubernetes) kept in step with the app model the AppHost builds for publishing (nothing is
/// started): every service is there, with every environment key the model gives it, from a secret where it is one, its
/// ports and probes, resources, and Sync with more than one replica. A failure names the service, the file and the key.
/// </summary>
public sealed class DeployFilesTests
{
    // An external server with a connection string per service, as a deployment has; building the model starts nothing.
    private static readonly string[] External =
    [
        "--Postgres:Mode=external",
        "--ConnectionStrings:syncengine=Host=db.invalid;Username=postgres;Password=secret;Database=syncengine",
        .. new[] { "auth", "workspace", "sync" }.Select(s =>
            $"--ConnectionStrings:syncengine-{s}=Host=db.invalid;Username=syncengine_{s};Password=secret;Database=syncengine"),
    ];
    private const string Gateway = "gateway";
    private const int ManagementPort = 9464;

    /// <summary>Keys the app model gives that a deployment must not take, and why.</summary>
    private static readonly (string Service, Func<string, bool> Key, string Why)[] DevelopmentOnly =
    [
        ("*", key => key.StartsWith("OTEL_", StringComparison.Ordinal),
            "the Aspire dashboard's OTLP wiring; a deployment with a collector sets OTEL_EXPORTER_OTLP_ENDPOINT itself (docs/deployment.md)"),
        ("*", key => key is "AUTH_HTTP" or "WORKSPACE_HTTP" or "SYNC_HTTP" or "WEB_HTTP",
            "Aspire's endpoint variables for non-.NET processes; .NET service discovery reads services__<name>__<endpoint>__<n>"),
        (Gateway, key => key == "services__web__http__0",
            "the Vite dev server; in production the gateway serves the built bundle (Gateway__WebRoot)"),
        ("workspace", key => key.StartsWith("Apps__Register__", StringComparison.Ordinal),
            "the demo's task-list app, registered in development; a deployment registers its apps through the admin API or the CLI"),
        (Gateway, key => key == "ASPNETCORE_FORWARDEDHEADERS_ENABLED",
            "the gateway is the public edge: it must not take a client's X-Forwarded-For as its address (its per-address rate limits)"),
    ];

    /// <summary>What a deployment sets that the app model has no counterpart for.</summary>
    private static readonly Dictionary<string, string[]> ProductionOnly = new() { [Gateway] = ["Gateway__WebRoot"] };

    /// <summary>Settings that are secrets: never written in a deploy file, only referenced.</summary>
    private static readonly string[] Secrets =
        ["ConnectionStrings__syncengine", "ConnectionStrings__rabbitmq", "Auth__KeyEncryptionKey", "Operator__SecretHash"];

    /// <summary>Secrets a deployment may leave unset: only the RabbitMQ transport reads the broker's.</summary>
    private static readonly string[] OptionalSecrets = ["ConnectionStrings__rabbitmq"];

    public static TheoryData<string> Deployments => new("compose", "kubernetes");

    [Theory]
    [MemberData(nameof(Deployments))]
    public async Task every_service_of_the_app_model_is_deployed_and_nothing_else(string deployment)
    {
        var model = await AppModelAsync();
        var deployed = Deployed(deployment);

        NoProblems(Problems(
            model.Keys.Except(deployed.Keys).Select(s => $"{s}: a service of the app model, missing in {FileOf(deployment)}"),
            deployed.Keys.Except(model.Keys).Select(s => $"{s}: in {FileOf(deployment)} but not a service of the app model")));
    }

    [Theory]
    [MemberData(nameof(Deployments))]
    public async Task every_environment_key_the_app_model_gives_a_service_is_set_for_it(string deployment)
    {
        var model = await AppModelAsync();
        var deployed = Deployed(deployment);

        NoProblems(Problems(model.Values.Where(s => deployed.ContainsKey(s.Name)).SelectMany(service =>
            service.EnvironmentKeys.Where(key => !IsDevelopmentOnly(service.Name, key))
                .Concat(ProductionOnly.GetValueOrDefault(service.Name) ?? [])
                .Where(key => !deployed[service.Name].Environment.ContainsKey(key))
                .Select(key => $"{service.Name}: {key} is not set in {FileOf(deployment)}"))));
    }

    [Theory]
    [MemberData(nameof(Deployments))]
    public void secrets_are_referenced_never_written(string deployment)
    {
        NoProblems(Deployed(deployment).Values.SelectMany(service => service.Environment
            .Where(e => Secrets.Contains(e.Key) && (e.Value.Literal is not null || (!e.Value.Secret && !OptionalSecrets.Contains(e.Key))))
            .Select(e => $"{service.Name}: {e.Key} in {FileOf(deployment)} is " +
                (e.Value.Literal is not null ? "written in the file" : $"optional or defaulted ({e.Value.From})") +
                "; it must come from a required variable (${NAME:?…}) or a Secret")));
    }

    [Fact]
    public void kubernetes_references_only_keys_its_secret_and_config_map_have()
    {
        var secretKeys = DeployFiles.EnvFileKeys(Path.Combine(DeployFiles.KubernetesDirectory, "secrets.env.example"));
        var configKeys = DeployFiles.ConfigMapKeys("syncengine-config");

        NoProblems(Problems(DeployFiles.Kubernetes().Values.SelectMany(service => service.Environment
            .Where(e => e.Value.From is { } from &&
                !(from.StartsWith("secret syncengine-secrets/", StringComparison.Ordinal) && secretKeys.Contains(from.Split('/')[1])
                  || from.StartsWith("configMap syncengine-config/", StringComparison.Ordinal) && configKeys.Contains(from.Split('/')[1])))
            .Select(e => $"{service.Name}: {e.Key} refers to {e.Value.From}, which neither secrets.env.example nor config.yaml has"))));
    }

    [Fact]
    public void compose_reads_every_variable_it_needs_from_the_example_env_file()
    {
        var example = DeployFiles.EnvFileKeys(Path.Combine(Path.GetDirectoryName(DeployFiles.ComposeFile)!, ".env.example"));

        NoProblems(Problems(DeployFiles.Compose().Values.SelectMany(service => service.Environment
            .Where(e => e.Value.From is { } variable && !example.Contains(variable))
            .Select(e => $"{service.Name}: {e.Key} reads ${{{e.Value.From}}}, which .env.example does not list"))));
    }

    [Theory]
    [MemberData(nameof(Deployments))]
    public void only_the_gateway_is_public_and_every_service_listens_where_its_probes_ask(string deployment)
    {
        var deployed = Deployed(deployment);

        NoProblems(Problems(deployed.Values.SelectMany(service =>
        {
            var isGateway = service.Name == Gateway;
            // The gateway's health answers only on its management port (Management:Port), the services' on their own.
            var probePort = isGateway ? ManagementPort : 8080;
            List<string> problems = [];
            if (!service.ContainerPorts.Contains(8080) || (isGateway && !service.ContainerPorts.Contains(ManagementPort)))
            {
                problems.Add($"{service.Name}: listens on [{string.Join(", ", service.ContainerPorts)}] in {FileOf(deployment)}, " +
                    $"expected 8080{(isGateway ? $" and {ManagementPort}" : "")}");
            }

            if (isGateway ? !service.PublishedPorts.SequenceEqual([8080]) : service.PublishedPorts.Count > 0)
            {
                problems.Add($"{service.Name}: publishes [{string.Join(", ", service.PublishedPorts)}] in {FileOf(deployment)}; " +
                    "only the gateway is public, on 8080 and nothing else (never its management port)");
            }

            if (isGateway && service.Environment.GetValueOrDefault("Management__Port")?.Literal != ManagementPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                problems.Add($"{service.Name}: Management__Port is not {ManagementPort} in {FileOf(deployment)}");
            }

            if (service.Readiness != new Probe("/health", probePort))
            {
                problems.Add($"{service.Name}: readiness is {service.Readiness?.ToString() ?? "missing"} in {FileOf(deployment)}, expected /health on {probePort}");
            }

            if (service.Liveness is null || service.Liveness.Port != probePort || (deployment == "kubernetes" && service.Liveness.Path != "/alive"))
            {
                problems.Add($"{service.Name}: liveness is {service.Liveness?.ToString() ?? "missing"} in {FileOf(deployment)}, expected /alive on {probePort}");
            }

            return problems;
        })));
    }

    [Theory]
    [MemberData(nameof(Deployments))]
    public void the_gateway_finds_every_service_by_configuration(string deployment)
    {
        var deployed = Deployed(deployment);

        NoProblems(Problems(deployed.Values.SelectMany(service => service.Environment
            .Where(e => e.Key.StartsWith("services__", StringComparison.Ordinal))
            .Where(e => e.Key.Split("__")[1] is var target
                && (!deployed.ContainsKey(target) || e.Value.Literal != $"http://{target}:8080"))
            .Select(e => $"{service.Name}: {e.Key} is '{e.Value.Literal ?? e.Value.From}' in {FileOf(deployment)}, expected http://<a deployed service>:8080"))));
    }

    [Theory]
    [MemberData(nameof(Deployments))]
    public async Task sync_runs_more_than_one_replica_and_every_service_has_resources(string deployment)
    {
        var model = await AppModelAsync();
        var deployed = Deployed(deployment);

        Assert.True(model["sync"].Replicas >= 2, $"the app model runs {model["sync"].Replicas} Sync replica(s)");
        Assert.True(deployed["sync"].Replicas >= Math.Max(2, model["sync"].Replicas),
            $"sync: {deployed["sync"].Replicas} replica(s) in {FileOf(deployment)}, the app model runs {model["sync"].Replicas}");
        NoProblems(Problems(deployed.Values.Where(s => !s.HasRequests || !s.HasLimits)
            .Select(s => $"{s.Name}: no resource requests (CPU and memory) or memory limit in {FileOf(deployment)}")));
    }

    private static bool IsDevelopmentOnly(string service, string key) =>
        DevelopmentOnly.Any(d => (d.Service == "*" || d.Service == service) && d.Key(key));

    private static IReadOnlyDictionary<string, DeployedService> Deployed(string deployment) =>
        deployment == "compose" ? DeployFiles.Compose() : DeployFiles.Kubernetes();

    private static string FileOf(string deployment) => deployment == "compose" ? "deploy/compose/compose.yaml" : "deploy/kubernetes";

    private static List<string> Problems(params IEnumerable<string>[] problems) => [.. problems.SelectMany(p => p)];

    /// <summary>Every problem on a line of its own: xunit would cut a collection's items short.</summary>
    private static void NoProblems(IEnumerable<string> problems)
    {
        var all = problems.ToList();
        if (all.Count > 0)
        {
            Assert.Fail($"{all.Count} difference(s) between deploy/ and the app model:\n" + string.Join("\n", all));
        }
    }

    private sealed record ModelService(string Name, IReadOnlySet<string> EnvironmentKeys, int Replicas);

    /// <summary>
    /// Every project resource of the app model built for publishing, with the environment keys it gets on either
    /// transport (RabbitMQ adds the broker's connection string).
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, ModelService>> AppModelAsync()
    {
        var onPostgres = await ProjectsAsync();
        var onRabbitMq = await ProjectsAsync("--Messaging:Transport=rabbitmq", "--ConnectionStrings:rabbitmq=amqp://app:secret@broker.invalid:5672");
        return onPostgres.ToDictionary(p => p.Key, p => p.Value with
        {
            EnvironmentKeys = p.Value.EnvironmentKeys.Union(onRabbitMq[p.Key].EnvironmentKeys).ToHashSet(),
        });
    }

    private static async Task<IReadOnlyDictionary<string, ModelService>> ProjectsAsync(params string[] args)
    {
        var ct = TestContext.Current.CancellationToken;
        var output = Path.Combine(Path.GetTempPath(), $"syncengine-manifest-{Guid.NewGuid():N}.json");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SyncEngine_AppHost>(
            [.. args, .. External, "--publisher", "manifest", "--output-path", output], ct);
        await using var app = await builder.BuildAsync(ct);
        Dictionary<string, ModelService> services = [];
        var context = app.Services.GetRequiredService<DistributedApplicationExecutionContext>();
        Assert.True(context.IsPublishMode);
        foreach (var project in app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>())
        {
            var configuration = await ExecutionConfigurationBuilder.Create(project).WithEnvironmentVariablesConfig()
                .BuildAsync(context, NullLogger.Instance, ct);
            Assert.Null(configuration.Exception);
            var replicas = project.Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1;
            services[project.Name] = new ModelService(project.Name, configuration.EnvironmentVariables.Select(e => e.Key).ToHashSet(), replicas);
        }

        return services;
    }
}
