import { createContext, createElement, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import type { SyncClient } from "./client.js";
import type { SyncState, WorkspaceRecord } from "./store.js";
import type { WorkspaceHandle } from "./workspace.js";

const SyncContext = createContext<SyncClient | null>(null);

/** Makes an open SyncClient available to the hooks below; one per app, around everything that syncs. */
export function SyncProvider({ client, children }: { client: SyncClient; children?: ReactNode }): ReactNode {
  return createElement(SyncContext.Provider, { value: client }, children);
}

/** The SyncClient of the nearest SyncProvider. */
export function useSyncClient(): SyncClient {
  const client = useContext(SyncContext);
  if (!client) throw new Error("useSyncClient: no <SyncProvider> above this component.");
  return client;
}

/** Every workspace this device knows, oldest first; undefined until the first read. */
export function useWorkspaces(): WorkspaceRecord[] | undefined {
  const client = useSyncClient();
  return useWatched(client, "", (listener) => client.watchWorkspaces(listener));
}

/** One workspace's record (access, label, sync state); undefined until read, null when this device does not know it. */
export function useWorkspace(workspaceId: string): WorkspaceRecord | null | undefined {
  const client = useSyncClient();
  return useWatched(client, workspaceId, (listener) => client.watchWorkspace(workspaceId, (w) => listener(w ?? null)));
}

/** What the UI should show of a workspace's sync (see SyncState); undefined until read or when the workspace is unknown. */
export function useSyncState(workspaceId: string): { state: SyncState; detail: string | undefined } | undefined {
  const workspace = useWorkspace(workspaceId);
  const state = workspace?.state;
  const detail = workspace?.detail;
  return useMemo(() => (state === undefined ? undefined : { state, detail }), [state, detail]);
}

/** How many local changes of a workspace wait for the server's acknowledgement (0 until the first read). */
export function usePendingCount(workspaceId: string): number {
  const client = useSyncClient();
  return useWatched(client, workspaceId, (listener) => client.watchPendingCount(workspaceId, listener)) ?? 0;
}

/**
 * Opens a workspace's document while the component is mounted (released on unmount) and re-renders on every change,
 * local or pulled: `revision` counts them, for memos that read the document.
 */
export function useDocument(workspaceId: string): { handle: WorkspaceHandle | undefined; revision: number } {
  const client = useSyncClient();
  const [opened, setOpened] = useState<{ client: SyncClient; handle: WorkspaceHandle }>();
  const [revision, setRevision] = useState(0);
  useEffect(() => {
    let unsubscribe: (() => void) | undefined;
    let active = true;
    void client.openWorkspace(workspaceId).then((handle) => {
      if (!active) return;
      setOpened({ client, handle });
      unsubscribe = handle.subscribe(() => setRevision((r) => r + 1));
    });
    return () => {
      active = false;
      unsubscribe?.();
      setOpened(undefined);
      client.release(workspaceId);
    };
  }, [client, workspaceId]);
  const handle = opened?.client === client && opened.handle.workspaceId === workspaceId ? opened.handle : undefined;
  return { handle, revision };
}

/**
 * The latest value a client's watch function gave for `key`. A value watched for another key (the component now shows
 * another workspace) is not returned while the new one is read, so a view never shows one workspace under another's id.
 */
function useWatched<T>(client: SyncClient, key: string, watch: (listener: (value: T) => void) => () => void): T | undefined {
  const [current, setCurrent] = useState<{ client: SyncClient; key: string; value: T }>();
  // `watch` is a new closure each render; what it watches is named by client and key.
  useEffect(() => watch((value) => setCurrent({ client, key, value })), [client, key]);
  return current !== undefined && current.client === client && current.key === key ? current.value : undefined;
}
