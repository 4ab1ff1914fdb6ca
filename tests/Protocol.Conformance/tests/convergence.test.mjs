// docs/protocol.md as a whole: two Loro clients editing apart converge through push, pull and live events; a third
// device starts from a snapshot ("Snapshots (compaction)").
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LoroDoc } from "loro-crdt";
import { FrameKind, json, newMember, newWorkspace, openEvents, pull, pushed, uploadSnapshot } from "../protocol.mjs";

/** A device: its document, its cursor, and what it has not pushed yet (the version it last pushed from). */
class Device {
  constructor(workspaceId, token, peer) {
    Object.assign(this, { workspaceId, token, cursor: 0 });
    this.doc = new LoroDoc();
    this.doc.setPeerId(peer);
    this.pushedUpTo = this.doc.oplogVersion();
  }

  async push() {
    const update = this.doc.export({ mode: "update", from: this.pushedUpTo });
    this.pushedUpTo = this.doc.oplogVersion();
    return pushed(this.workspaceId, this.token, update);
  }

  async pull() {
    const { frames } = await pull(this.workspaceId, this.token, this.cursor);
    for (const frame of frames) {
      this.doc.import(frame.payload);
      this.cursor = frame.seq;
    }
    return frames;
  }
}

describe("§ Push a change, § Pull, § Live events: two Loro clients converge", () => {
  test("concurrent edits on two devices end in the same document on both, and on a new device from a snapshot", async () => {
    const w = await newWorkspace();
    const member = await newMember(w.workspaceId, w.token, "read_write");
    const a = new Device(w.workspaceId, w.token, 1n);
    const b = new Device(w.workspaceId, member.token, 2n);
    const bHears = await openEvents(w.workspaceId, b.token);
    assert.ok(await bHears.until(() => bHears.heads().length > 0));

    a.doc.getText("title").insert(0, "Meals");
    a.doc.getMap("days").set("monday", "soup");
    a.doc.commit();
    const first = await a.push();
    assert.ok(await bHears.until(() => bHears.heads().some((e) => Number(e.id) === first)), "B heard nothing of A's push");
    await b.pull();
    assert.equal(b.doc.getText("title").toString(), "Meals");

    // Both edit apart, the same text and the same map key included, then sync in either order.
    for (let i = 0; i < 20; i++) {
      a.doc.getText("title").insert(a.doc.getText("title").length, "a");
      a.doc.getList("log").push(`a${i}`);
      a.doc.commit();
      b.doc.getText("title").insert(0, "b");
      b.doc.getList("log").push(`b${i}`);
      b.doc.commit();
    }
    a.doc.getMap("days").set("tuesday", "rice");
    a.doc.commit();
    b.doc.getMap("days").set("tuesday", "bread");
    b.doc.commit();
    await b.push();
    await a.push();
    await a.pull();
    await b.pull();
    assert.deepEqual(a.doc.toJSON(), b.doc.toJSON());
    assert.deepEqual(a.doc.frontiers(), b.doc.frontiers());
    assert.equal(a.doc.getList("log").length, 40);

    // Many small changes later, a snapshot is cheaper than the changes: a new device gets it, then what follows.
    for (let i = 0; i < 30; i++) {
      a.doc.getList("log").push(`more${i}`);
      a.doc.commit();
      await a.push();
    }
    await a.pull();
    const covers = a.cursor;
    assert.deepEqual(await json(await uploadSnapshot(w.workspaceId, a.token, a.doc.export({ mode: "snapshot" }), covers), 201), { covers });
    b.doc.getText("title").insert(0, "!");
    b.doc.commit();
    const last = await b.push();
    const reader = await newMember(w.workspaceId, w.token, "read");
    const c = new Device(w.workspaceId, reader.token, 3n);
    const frames = await c.pull();
    assert.deepEqual(frames.map((f) => [f.kind, f.seq]), [[FrameKind.snapshot, covers], [FrameKind.change, last]]);
    await a.pull();
    await b.pull();
    assert.deepEqual(c.doc.toJSON(), a.doc.toJSON());
    assert.deepEqual(b.doc.toJSON(), a.doc.toJSON());
    assert.equal(c.cursor, last);
    await bHears.close();
  });
});
