// @vitest-environment happy-dom
import "fake-indexeddb/auto";
import { createElement, type ReactNode } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SyncClient } from "../src/client.js";
import { SyncProvider, useDocument, usePendingCount, useSyncClient, useSyncState, useWorkspace, useWorkspaces } from "../src/react.js";

// Hooks render in a real React root over a real client (IndexedDB from fake-indexeddb, no worker: nothing syncs).
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).reverse().forEach((cleanup) => cleanup()));

async function openClient(): Promise<SyncClient> {
  const client = await SyncClient.open({ schema: { name: `app-${crypto.randomUUID()}`, version: 1 }, createWorker: null });
  cleanups.push(() => client.close());
  return client;
}

function render(client: SyncClient | null, node: ReactNode): Root {
  const root = createRoot(document.createElement("div"));
  root.render(client ? createElement(SyncProvider, { client }, node) : node);
  cleanups.push(() => root.unmount());
  return root;
}

/** Renders `hook` in a component and keeps what it returned last. */
function probe<T>(hook: () => T): { (): ReactNode; last?: T; renders: number } {
  const component = Object.assign(() => {
    component.last = hook();
    component.renders++;
    return null;
  }, { renders: 0 } as { last?: T; renders: number });
  return component;
}

describe("useWorkspaces", () => {
  it("lists every workspace oldest first, undefined until read, and follows changes", async () => {
    const client = await openClient();
    const list = probe(useWorkspaces);
    render(client, createElement(list));
    expect(list.last).toBeUndefined();
    await vi.waitFor(() => expect(list.last).toEqual([]));

    const first = await client.createWorkspace("Breakfasts");
    const second = await client.createWorkspace("Dinners");
    await vi.waitFor(() => expect(list.last?.map((w) => [w.workspaceId, w.label, w.state])).toEqual([[first, "Breakfasts", "local"], [second, "Dinners", "local"]]));
    await client.setLabel(first, "Mornings");
    await vi.waitFor(() => expect(list.last?.[0]?.label).toBe("Mornings"));
  });
});

describe("useWorkspace and useSyncState", () => {
  it("give a workspace's record and its sync state, null and undefined for one this device does not know", async () => {
    const client = await openClient();
    const id = await client.createWorkspace("Lunches");
    const known = probe(() => ({ workspace: useWorkspace(id), sync: useSyncState(id) }));
    const stranger = crypto.randomUUID();
    const unknown = probe(() => ({ workspace: useWorkspace(stranger), sync: useSyncState(stranger) }));
    render(client, [createElement(known, { key: 1 }), createElement(unknown, { key: 2 })]);

    await vi.waitFor(() => expect(known.last?.workspace?.label).toBe("Lunches"));
    expect(known.last?.workspace).toMatchObject({ workspaceId: id, role: "owner", state: "local" });
    // useSyncState watches the record on its own, so its first answer may come a render after useWorkspace's (a full
    // `dotnet test` run on a busy machine saw it undefined right after the label arrived).
    await vi.waitFor(() => expect(known.last?.sync).toEqual({ state: "local", detail: undefined }));
    await vi.waitFor(() => expect(unknown.last?.workspace).toBeNull());
    expect(unknown.last?.sync).toBeUndefined();
  });

  it("never returns one workspace's record under another's id while the new one is read", async () => {
    const client = await openClient();
    const a = await client.createWorkspace("A");
    const b = await client.createWorkspace("B");
    const seen: { asked: string; got: string | undefined }[] = [];
    function Show({ id }: { id: string }) {
      const workspace = useWorkspace(id);
      seen.push({ asked: id, got: workspace?.workspaceId });
      return null;
    }
    const root = render(client, createElement(Show, { id: a }));
    await vi.waitFor(() => expect(seen.at(-1)?.got).toBe(a));
    root.render(createElement(SyncProvider, { client }, createElement(Show, { id: b })));
    await vi.waitFor(() => expect(seen.at(-1)?.got).toBe(b));
    expect(seen.filter((s) => s.got !== undefined && s.got !== s.asked)).toEqual([]);
  });
});

describe("useDocument and usePendingCount", () => {
  it("open the document, re-render on each edit and count the changes waiting for the server", async () => {
    const client = await openClient();
    const id = await client.createWorkspace("Snacks", (doc) => doc.getMap("meals").set("title", "Snacks"));
    const view = probe(() => ({ document: useDocument(id), pending: usePendingCount(id) }));
    render(client, createElement(view));
    // The first change of a new workspace (the app's init and the schema version) waits for the first sync.
    await vi.waitFor(() => expect(view.last?.document.handle).toBeDefined());
    await vi.waitFor(() => expect(view.last?.pending).toBe(1));
    const revision = view.last!.document.revision;

    const doc = view.last!.document.handle!.doc;
    doc.getMap("meals").set("apple", 95);
    doc.commit();
    await vi.waitFor(() => expect(view.last?.pending).toBe(2));
    expect(view.last!.document.revision).toBeGreaterThan(revision);
    expect(view.last!.document.handle!.doc.getMap("meals").get("apple")).toBe(95);
  });

  it("releases the document when the component unmounts", async () => {
    const client = await openClient();
    const id = await client.createWorkspace("Teas");
    const view = probe(() => useDocument(id));
    const root = render(client, createElement(view));
    await vi.waitFor(() => expect(view.last?.handle).toBeDefined());
    const handle = view.last!.handle!;
    expect(await client.openWorkspace(id)).toBe(handle);
    client.release(id);

    root.unmount();
    const reopened = await client.openWorkspace(id);
    expect(reopened).not.toBe(handle);
    client.release(id);
  });
});

describe("useSyncClient", () => {
  it("gives the provider's client, and says what is missing without one", async () => {
    const client = await openClient();
    const inside = probe(useSyncClient);
    render(client, createElement(inside));
    await vi.waitFor(() => expect(inside.last).toBe(client));

    const errors: unknown[] = [];
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    cleanups.push(() => quiet.mockRestore());
    const root = createRoot(document.createElement("div"), { onUncaughtError: (error) => errors.push(error) });
    cleanups.push(() => root.unmount());
    root.render(createElement(probe(useSyncClient)));
    await vi.waitFor(() => expect(String(errors[0])).toContain("no <SyncProvider>"));
  });
});
