import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { SyncClient, type AppSchema, type SyncState, type WorkspaceRecord } from "@syncengine/sync";
import { SyncProvider, useDocument, usePendingCount, useSyncClient, useSyncState, useWorkspace, useWorkspaces } from "@syncengine/sync/react";
// @ts-expect-error The Dexie store is the library's own: apps watch through the client's API.
import type { SyncStore } from "@syncengine/sync";

// A to-do app on the packed library: its own schema and migration, the provider and every hook, strictly typed.
const schema: AppSchema = {
  name: "todos",
  version: 2,
  init: (doc) => doc.getMap("todos").set("title", "Todos"),
  migrations: { 2: (doc) => doc.getMap("todos").set("migrated", true) },
};

function Status({ workspaceId }: { workspaceId: string }) {
  const sync = useSyncState(workspaceId);
  const pending: number = usePendingCount(workspaceId);
  const state: SyncState | undefined = sync?.state;
  return <p>{state ?? "…"} {sync?.detail} {pending > 0 && `${pending} waiting`}</p>;
}

function Todos({ workspaceId }: { workspaceId: string }) {
  const workspace: WorkspaceRecord | null | undefined = useWorkspace(workspaceId);
  const { handle, revision } = useDocument(workspaceId);
  if (workspace === null) return <p>Unknown list</p>;
  const items = handle ? Object.keys(handle.doc.getMap("items").toJSON() as Record<string, unknown>) : [];
  return (
    <section data-revision={revision}>
      <h2>{workspace?.label}</h2>
      <Status workspaceId={workspaceId} />
      <button onClick={() => { handle?.doc.getMap("items").set(crypto.randomUUID(), "todo"); handle?.doc.commit(); }}>Add</button>
      <ul>{items.map((id) => <li key={id}>{id}</li>)}</ul>
    </section>
  );
}

function App() {
  const client = useSyncClient();
  const lists = useWorkspaces();
  const [open, setOpen] = useState<string>();
  return (
    <main>
      <p>Device {client.clientId}</p>
      <button onClick={() => void client.createWorkspace("Groceries").then(setOpen)}>New list</button>
      {lists?.map((w) => <button key={w.workspaceId} onClick={() => setOpen(w.workspaceId)}>{w.label}</button>)}
      {open && <Todos workspaceId={open} />}
    </main>
  );
}

const client = await SyncClient.open({ schema });
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <SyncProvider client={client}>
      <App />
    </SyncProvider>
  </StrictMode>,
);
