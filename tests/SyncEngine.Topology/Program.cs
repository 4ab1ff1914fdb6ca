using System.Runtime.InteropServices;
using SyncEngine.Topology;

// deploy/run-local.sh: the production topology on this machine until Ctrl+C (ProductionTopology says what it runs).
//   --transport postgresql|rabbitmq   --broker amqp://user:password@host:5672   --published <folder>
var transport = Argument("--transport") ?? "postgresql";
var published = Path.GetFullPath(Argument("--published") ?? Path.Combine(Path.GetTempPath(), "syncengine-topology"));
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });

await ProductionTopology.PublishAsync(published, Console.Out, stop.Token);
await using var topology = await ProductionTopology.StartAsync(published, new TopologyOptions(transport, Argument("--broker")), Console.Out, stop.Token);
Console.WriteLine($"""

    SyncEngine, production topology ({transport}); Ctrl+C stops it.
      public origin:     {topology.Gateway}
      gateway metrics:   {topology.GatewayManagement}metrics
      sync replicas:     {string.Join(", ", topology.SyncReplicas)}
      PostgreSQL:        {topology.Database.SuperuserConnectionString}
      operator token:    curl -s {topology.Gateway}connect/token -u '{topology.OperatorClientId}:{topology.OperatorSecret}' -d grant_type=client_credentials -d scope=syncengine.admin
    """);
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    Console.WriteLine("[topology] stopping");
}

return 0;

string? Argument(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
