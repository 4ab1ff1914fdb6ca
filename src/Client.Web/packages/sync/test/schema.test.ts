import { LoroDoc } from "loro-crdt";
import { describe, expect, it } from "vitest";
import { documentVersion, initialize, migrate, type AppSchema } from "../src/schema.js";

function appAt(version: number, log: number[] = []): AppSchema {
  return {
    name: "test",
    version,
    init: (doc) => doc.getMap("items").set("created", true),
    migrations: {
      2: (doc) => { log.push(2); doc.getMap("items").set("v2", true); },
      3: (doc) => { log.push(3); doc.getMap("items").set("v3", true); },
    },
  };
}

describe("migrate", () => {
  it("starts a new document at the app's version without migrating", () => {
    const doc = new LoroDoc();
    initialize(doc, appAt(3));
    expect(documentVersion(doc)).toBe(3);
    expect(doc.getMap("items").toJSON()).toEqual({ created: true });
  });

  it("runs each missing migration in order, one commit each", () => {
    const doc = new LoroDoc();
    initialize(doc, appAt(1));
    const log: number[] = [];
    const updates: Uint8Array[] = [];
    doc.subscribeLocalUpdates((u) => updates.push(u));
    expect(migrate(doc, appAt(3, log))).toEqual({ kind: "migrated", from: 1, to: 3 });
    expect(log).toEqual([2, 3]);
    expect(updates).toHaveLength(2);
    expect(documentVersion(doc)).toBe(3);
    expect(doc.getMap("items").toJSON()).toEqual({ created: true, v2: true, v3: true });
  });

  it("leaves a document nobody wrote yet alone (it waits for its first pull)", () => {
    const doc = new LoroDoc();
    expect(migrate(doc, appAt(3))).toEqual({ kind: "current", version: undefined });
    expect(doc.getMap("items").toJSON()).toEqual({});
  });

  it("never touches a document newer than the app", () => {
    const doc = new LoroDoc();
    initialize(doc, appAt(3));
    const before = doc.export({ mode: "snapshot" });
    expect(migrate(doc, appAt(2))).toEqual({ kind: "newer", version: 3 });
    expect(doc.export({ mode: "snapshot" })).toEqual(before);
  });

  it("changes nothing when a migration in the chain is missing", () => {
    const doc = new LoroDoc();
    initialize(doc, appAt(1));
    const gap: AppSchema = { name: "test", version: 3, migrations: { 3: (d) => d.getMap("items").set("v3", true) } };
    expect(migrate(doc, gap)).toEqual({ kind: "missing", from: 1, missing: 2 });
    expect(documentVersion(doc)).toBe(1);
    expect(doc.getMap("items").get("v3")).toBeUndefined();
  });
});
