using JasperFx;
using Services.Auth.Keys;
using Services.Auth.Operators;
using Services.Auth.Tokens;
using Services.Auth.Workspaces;
using SyncEngine.Backend.Apps;
using SyncEngine.Backend.Messaging;
using SyncEngine.Backend.OpenApi;
using SyncEngine.Backend.Security;
using SyncEngine.Contracts.Auth;
using SyncEngine.ServiceDefaults.Problems;
using Wolverine;
using Wolverine.Http;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceStore("auth", marten =>
{
    marten.Schema.For<AccessToken>().Index(t => t.WorkspaceId).UniqueIndex(t => t.InviteCodeHash!).UseOptimisticConcurrency(true);
    // Created at start-up with the rest, not when first used (MessagingDefaults.AddServiceStore says why).
    marten.RegisterDocumentType<SigningKey>();
    marten.RegisterDocumentType<WorkspaceOwner>();
});
// Resolved by the key ring at start: a missing Auth:KeyEncryptionKey stops Auth before it takes a request.
builder.Services.AddSingleton(services => KeyEncryptionKey.FromConfiguration(services.GetRequiredService<IConfiguration>()));
builder.Services.AddSingleton<SigningKeyRing>().AddHostedService<SigningKeyInitializer>().AddSingleton<TokenIssuer>();
// Operators get their tokens here (POST /connect/token); only the secret's hash is configured.
builder.Services.AddSingleton(services => OperatorCredentials.FromConfiguration(services.GetRequiredService<IConfiguration>()));
builder.AddAppDirectory();
builder.AddSyncEngineAuthentication(services => services.GetRequiredService<SigningKeyRing>());
// Operators rotate signing keys through /admin/keys.
builder.AddOperatorAuthentication();

builder.Host.UseWolverine(opts =>
{
    opts.UseSyncEngineDefaults("auth", builder.Configuration);
    // Consumes WorkspaceClaimed (from Workspace) and answers IssueMasterToken (Workspace's request/reply).
    // Also AppSettingsChanged (from Workspace): the apps this service knows, kept in its own schema.
    opts.Discovery.IncludeType(typeof(AppSettingsChangedHandler));
    opts.ListenToServiceQueue("auth");
    opts.PublishMessage<AccessGranted>().ToServiceQueue("workspace");
    opts.PublishMessage<AccessRevoked>().ToServiceQueue("workspace");
    opts.PublishMessage<AccessRevoked>().ToServiceQueue("sync");
    opts.PublishMessage<MasterTokensRevoked>().ToServiceQueue("workspace");
    opts.PublishMessage<MasterTokensRevoked>().ToServiceQueue("sync");
});
builder.Services.AddWolverineHttp();
builder.AddApiDocument("SyncEngine Auth API");

var app = builder.Build();
app.UseForwardedHeaders();
app.UseSyncEngineProblemDetails();
app.UseSyncEngineAuthentication();
app.MapWolverineEndpoints();
app.MapApiDocument();
app.MapAppDirectory();
app.MapDefaultEndpoints();
await app.SetupSchemaExclusivelyAsync(args);
return await app.RunJasperFxCommands(args);
