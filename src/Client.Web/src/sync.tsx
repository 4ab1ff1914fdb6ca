import { createContext, useContext, useEffect, useState } from "react";
import { liveQuery } from "dexie";
import type { SyncClient, WorkspaceHandle, WorkspaceRecord } from "@syncengine/sync";

export const SyncContext = createContext<SyncClient | null>(null);

export function useSync(): SyncClient {
  const client = useContext(SyncContext);
  if (!client) throw new Error("useSync outside <SyncContext>");
  return client;
}

export function useWorkspaces(): WorkspaceRecord[] | undefined {
  const client = useSync();
  const [workspaces, setWorkspaces] = useState<WorkspaceRecord[]>();
  useEffect(() => client.watchWorkspaces(setWorkspaces), [client]);
  return workspaces;
}

export function useWorkspace(workspaceId: string): WorkspaceRecord | undefined | null {
  const client = useSync();
  const [workspace, setWorkspace] = useState<WorkspaceRecord | null>();
  useEffect(() => {
    const subscription = liveQuery(() => client.store.workspaces.get(workspaceId)).subscribe({ next: (w) => setWorkspace(w ?? null) });
    return () => subscription.unsubscribe();
  }, [client, workspaceId]);
  return workspace;
}

export function usePendingCount(workspaceId: string): number {
  const client = useSync();
  const [count, setCount] = useState(0);
  useEffect(() => {
    const subscription = liveQuery(() => client.store.pending.where("workspaceId").equals(workspaceId).count()).subscribe({ next: setCount });
    return () => subscription.unsubscribe();
  }, [client, workspaceId]);
  return count;
}

/** The open document and a counter that changes with every edit, local or pulled, so views re-render. */
export function useDocument(workspaceId: string): { handle: WorkspaceHandle | undefined; revision: number } {
  const client = useSync();
  const [handle, setHandle] = useState<WorkspaceHandle>();
  const [revision, setRevision] = useState(0);
  useEffect(() => {
    let unsubscribe: (() => void) | undefined;
    let active = true;
    void client.openWorkspace(workspaceId).then((opened) => {
      if (!active) return;
      setHandle(opened);
      unsubscribe = opened.subscribe(() => setRevision((r) => r + 1));
    });
    return () => {
      active = false;
      unsubscribe?.();
      setHandle(undefined);
      client.release(workspaceId);
    };
  }, [client, workspaceId]);
  return { handle, revision };
}
