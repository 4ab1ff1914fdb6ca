// Friendly names for the generated API types (src/api/{auth,workspace,sync}.ts, from the services' OpenAPI documents).
import type { components as Auth } from "./auth.js";
import type { components as Sync } from "./sync.js";
import type { components as Workspace } from "./workspace.js";

export type ClaimWorkspaceRequest = Workspace["schemas"]["ClaimWorkspaceRequest"];
export type ClaimedWorkspace = Workspace["schemas"]["ClaimedWorkspace"];
export type WorkspaceInfo = Workspace["schemas"]["WorkspaceView"];
export type GrantRequest = Auth["schemas"]["GrantAccessRequest"];
export type AccessGrant = Auth["schemas"]["AccessGrantedResponse"];
export type JoinRequest = Auth["schemas"]["JoinWorkspaceRequest"];
export type JoinedWorkspace = Auth["schemas"]["JoinedWorkspace"];
export type TokenSummary = Auth["schemas"]["TokenSummary"];
export type PushedChange = Sync["schemas"]["PushedChange"];
export type Problem = Auth["schemas"]["ProblemDetails"];
export type ProblemCode = Problem["code"];
