/** From a page to its sync worker. */
export type ToWorker =
  | { type: "start"; appName: string; appVersion: number; baseUrl: string; debounceMs: number; appId?: string; transport?: "socket" | "http" }
  | { type: "changed"; workspaceId: string }
  | { type: "watch"; workspaceId: string; on: boolean }
  | { type: "sync"; workspaceId?: string }
  | { type: "network"; online: boolean };

/** On the app's BroadcastChannel, between workers and every open page of the app. */
export type Broadcast =
  /** Bytes that reached the committed state (pulled, or local ones from another page): open documents import them. */
  | { type: "updates"; workspaceId: string; updates: Uint8Array[] }
  /** The server wants a newer schema this app knows: a page must run the migrations, then the worker pushes again. */
  | { type: "migrate"; workspaceId: string; currentVersion: number };

export function channelName(appName: string): string {
  return `syncengine-${appName}`;
}
