import { LoroDoc } from "loro-crdt";
import { describe, expect, it } from "vitest";
import { loadDocument, mergeChanges } from "../src/changes.js";

describe("mergeChanges", () => {
  it("turns a burst of local changes into one update with the same effect", () => {
    const device = new LoroDoc();
    device.getMap("meals").set("a", 1);
    device.commit();
    const committed = loadDocument(device.export({ mode: "snapshot" }));
    const changes: Uint8Array[] = [];
    device.subscribeLocalUpdates((u) => changes.push(u));
    for (const key of ["b", "c", "d"]) {
      device.getMap("meals").set(key, key);
      device.commit();
    }
    expect(changes).toHaveLength(3);

    const merged = mergeChanges(committed, changes);
    expect(merged).toBeDefined();
    const server = loadDocument(committed.export({ mode: "snapshot" }), [merged!]);
    expect(server.toJSON()).toEqual(device.toJSON());
    // The committed document itself is not touched: the merge works on a fork.
    expect(committed.getMap("meals").toJSON()).toEqual({ a: 1 });
  });

  it("refuses to merge changes whose dependencies the committed state lacks", () => {
    const device = new LoroDoc();
    const changes: Uint8Array[] = [];
    device.subscribeLocalUpdates((u) => changes.push(u));
    device.getMap("m").set("x", 1);
    device.commit();
    device.getMap("m").set("y", 2);
    device.commit();
    // Only the second change: it depends on the first, which nobody has.
    expect(mergeChanges(new LoroDoc(), [changes[1]!])).toBeUndefined();
  });
});
