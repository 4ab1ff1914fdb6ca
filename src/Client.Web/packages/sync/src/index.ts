export { SyncClient, type Invitation, type SyncClientOptions } from "./client.js";
export { WorkspaceHandle } from "./workspace.js";
export { type AppSchema, type Migration, type MigrationOutcome, documentVersion, migrate } from "./schema.js";
export type { Scope, SyncState, WorkspaceRecord } from "./store.js";
export { ApiProblem } from "./problem.js";
export type { AccessGrant, TokenSummary } from "./api/schemas.js";
