using System.Text.RegularExpressions;
using SyncEngine.Testing;
using YamlDotNet.RepresentationModel;

namespace SyncEngine.Topology;

/// <summary>
/// What deploy/ says about each service, read from its YAML: deploy/compose/compose.yaml and the Kubernetes manifests
/// kustomization.yaml lists. Only what the deploy tests (DeployFilesTests) and the production-topology run compare is taken.
/// </summary>
public sealed record DeployedService(
    string Name,
    IReadOnlyDictionary<string, EnvironmentValue> Environment,
    IReadOnlyList<int> ContainerPorts,
    IReadOnlyList<int> PublishedPorts,
    Probe? Readiness,
    Probe? Liveness,
    int Replicas,
    bool HasRequests,
    bool HasLimits);

/// <summary>
/// A setting's value: a literal written in the file, or taken from elsewhere (an interpolated variable, a Secret, a
/// ConfigMap), required (<see cref="Secret"/>: Compose's <c>${NAME:?…}</c>, a Secret) or with a <see cref="Default"/>.
/// </summary>
public sealed record EnvironmentValue(string? Literal, string? From, bool Secret, string? Default = null);

public sealed record Probe(string Path, int Port);

public static partial class DeployFiles
{
    public static string ComposeFile { get; } = Path.Combine(Repository.Root, "deploy", "compose", "compose.yaml");
    public static string KubernetesDirectory { get; } = Path.Combine(Repository.Root, "deploy", "kubernetes");

    /// <summary>The services of compose.yaml by name.</summary>
    public static IReadOnlyDictionary<string, DeployedService> Compose()
    {
        var services = (YamlMappingNode)Load(ComposeFile).Single()["services"];
        return services.Children.ToDictionary(s => Scalar(s.Key), s => ComposeService(Scalar(s.Key), (YamlMappingNode)s.Value));
    }

    /// <summary>The Deployments of the Kubernetes manifests by name, with the ports their Services publish outside the cluster.</summary>
    public static IReadOnlyDictionary<string, DeployedService> Kubernetes()
    {
        var documents = KubernetesDocuments();
        var publicPorts = documents.Where(d => Kind(d) == "Service" && Text(d, "spec", "type") is "LoadBalancer" or "NodePort")
            .ToLookup(d => Text(d, "spec", "selector", "app.kubernetes.io/name")!, d => (YamlMappingNode)d["spec"]);
        return documents.Where(d => Kind(d) == "Deployment")
            .Select(d => KubernetesService(d, publicPorts[Text(d, "metadata", "name")!]))
            .ToDictionary(s => s.Name);
    }

    public static IReadOnlyList<YamlMappingNode> KubernetesDocuments()
    {
        var kustomization = Load(Path.Combine(KubernetesDirectory, "kustomization.yaml")).Single();
        return [.. ((YamlSequenceNode)kustomization["resources"]).Select(Scalar)
            .SelectMany(file => Load(Path.Combine(KubernetesDirectory, file)))];
    }

    /// <summary>The keys of a kustomize env file (KEY=value lines, # comments).</summary>
    public static IReadOnlySet<string> EnvFileKeys(string path) =>
        File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal) && !l.TrimStart().StartsWith('#'))
            .Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)].Trim()).ToHashSet();

    public static IReadOnlySet<string> ConfigMapKeys(string name) =>
        KubernetesDocuments().Where(d => Kind(d) == "ConfigMap" && Text(d, "metadata", "name") == name)
            .SelectMany(d => ((YamlMappingNode)d["data"]).Children.Keys.Select(Scalar)).ToHashSet();

    private static DeployedService ComposeService(string name, YamlMappingNode service)
    {
        var environment = Node(service, "environment") switch
        {
            YamlMappingNode mapping => mapping.Children.ToDictionary(e => Scalar(e.Key), e => ComposeValue(Scalar(e.Value))),
            null => new Dictionary<string, EnvironmentValue>(),
            _ => throw new InvalidOperationException($"compose.yaml: {name}'s environment must be a mapping (KEY: value), which this test reads."),
        };
        var healthCheck = Node(service, "healthcheck", "test") is YamlSequenceNode test ? string.Join(' ', test.Select(Scalar)) : null;
        var probe = healthCheck is not null && HealthCheckUrl().Match(healthCheck) is { Success: true } url
            ? new Probe(url.Groups["path"].Value, int.Parse(url.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture))
            : null;
        var published = Node(service, "ports") is YamlSequenceNode ports
            ? ports.Select(p => int.Parse(Scalar(p).Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture)).ToList()
            : [];
        return new DeployedService(
            name,
            environment,
            // A Compose service listens where its HTTP_PORTS says; nothing else declares container ports.
            environment.TryGetValue("HTTP_PORTS", out var ports2) && ports2.Literal is { } list
                ? [.. list.Split(';').Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture))]
                : [],
            published,
            // Compose has one health check; it gates depends_on, which is readiness. A process that dies is restarted
            // (restart: unless-stopped), which is what liveness is for.
            probe,
            probe,
            Text(service, "deploy", "replicas") is { } replicas ? int.Parse(replicas, System.Globalization.CultureInfo.InvariantCulture) : 1,
            Node(service, "deploy", "resources", "reservations", "memory") is not null,
            Node(service, "deploy", "resources", "limits", "memory") is not null);
    }

    private static EnvironmentValue ComposeValue(string value) =>
        ComposeVariable().Match(value) is { Success: true } variable
            // ${NAME:?message} must be set; ${NAME:-default} and ${NAME} may be left to their default.
            ? new EnvironmentValue(null, variable.Groups["name"].Value, Secret: variable.Groups["required"].Success,
                variable.Groups["default"].Success ? variable.Groups["default"].Value : null)
            : new EnvironmentValue(value, null, Secret: false);

    private static DeployedService KubernetesService(YamlMappingNode deployment, IEnumerable<YamlMappingNode> publicServices)
    {
        var name = Text(deployment, "metadata", "name")!;
        var container = (YamlMappingNode)((YamlSequenceNode)Node(deployment, "spec", "template", "spec", "containers")!).Children.Single();
        var namedPorts = ((YamlSequenceNode)container["ports"]).Cast<YamlMappingNode>()
            .ToDictionary(p => Text(p, "name") ?? Text(p, "containerPort")!, p => int.Parse(Text(p, "containerPort")!, System.Globalization.CultureInfo.InvariantCulture));
        var environment = Node(container, "env") is YamlSequenceNode env
            ? env.Cast<YamlMappingNode>().ToDictionary(e => Text(e, "name")!, KubernetesValue)
            : new Dictionary<string, EnvironmentValue>();
        Probe? ProbeOf(string kind) => Node(container, kind, "httpGet") is YamlMappingNode get
            ? new Probe(Text(get, "path")!, int.TryParse(Text(get, "port"), out var number) ? number : namedPorts.GetValueOrDefault(Text(get, "port")!))
            : null;
        return new DeployedService(
            name,
            environment,
            [.. namedPorts.Values],
            [.. publicServices.SelectMany(s => ((YamlSequenceNode)s["ports"]).Cast<YamlMappingNode>())
                .Select(p => Text(p, "targetPort")!).Select(target => namedPorts.TryGetValue(target, out var port) ? port : int.Parse(target, System.Globalization.CultureInfo.InvariantCulture))],
            ProbeOf("readinessProbe"),
            ProbeOf("livenessProbe"),
            Text(deployment, "spec", "replicas") is { } replicas ? int.Parse(replicas, System.Globalization.CultureInfo.InvariantCulture) : 1,
            Node(container, "resources", "requests", "memory") is not null && Node(container, "resources", "requests", "cpu") is not null,
            Node(container, "resources", "limits", "memory") is not null);
    }

    private static EnvironmentValue KubernetesValue(YamlMappingNode variable) =>
        Text(variable, "value") is { } literal ? new EnvironmentValue(literal, null, Secret: false)
        : Node(variable, "valueFrom", "secretKeyRef") is YamlMappingNode secret ? new EnvironmentValue(null, $"secret {Text(secret, "name")}/{Text(secret, "key")}", Secret: true)
        : Node(variable, "valueFrom", "configMapKeyRef") is YamlMappingNode config ? new EnvironmentValue(null, $"configMap {Text(config, "name")}/{Text(config, "key")}", Secret: false)
        : throw new InvalidOperationException($"kubernetes: {Text(variable, "name")} has neither a value nor a secretKeyRef/configMapKeyRef.");

    private static IReadOnlyList<YamlMappingNode> Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    private static string? Kind(YamlMappingNode document) => Text(document, "kind");

    private static YamlNode? Node(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return null;
            }

            node = child;
        }

        return node;
    }

    private static string? Text(YamlNode node, params string[] path) => (Node(node, path) as YamlScalarNode)?.Value;

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    [GeneratedRegex(@"^\$\{(?<name>[A-Za-z0-9_]+)(?:(?<required>:\?)[^}]*|:-(?<default>[^}]*))?\}$")]
    private static partial Regex ComposeVariable();

    [GeneratedRegex(@"/dev/tcp/127\.0\.0\.1/(?<port>\d+).*GET (?<path>/\S*) HTTP")]
    private static partial Regex HealthCheckUrl();
}
