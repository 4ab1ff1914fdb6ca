// docs/protocol.md, "The cursor": what may move it, and the order one client's pushes are read in.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LoroDoc } from "loro-crdt";
import { bytes, newMember, newWorkspace, pull, pushed, text, FrameKind } from "../protocol.mjs";

describe("§ The cursor", () => {
  test("a push's seq is not a cursor: others' changes can sit between, and the pull brings the own change back too", async () => {
    const w = await newWorkspace();
    const other = await newMember(w.workspaceId, w.token, "read_write");
    const cursor = 0;
    await pushed(w.workspaceId, other.token, bytes("theirs"));
    const mine = await pushed(w.workspaceId, w.token, bytes("mine"));
    assert.notEqual(mine, cursor + 1, "the scenario needs another client's change in between");
    // Had the owner moved its cursor to `mine`, it would never get "theirs".
    assert.equal((await pull(w.workspaceId, w.token, mine)).status, 204);
    const { frames } = await pull(w.workspaceId, w.token, cursor);
    assert.deepEqual(frames.map((f) => [f.seq, text(f.payload)]), [[1, "theirs"], [2, "mine"]]);
  });

  test("a push whose seq is cursor + 1 may move the cursor: nothing was skipped", async () => {
    const w = await newWorkspace();
    const first = await pushed(w.workspaceId, w.token, bytes("one"));
    assert.equal(first, 1);
    const { frames } = await pull(w.workspaceId, w.token, first);
    assert.deepEqual(frames, []);
  });

  test("one client's pushes may be read in another order than made; Loro still converges", async () => {
    const w = await newWorkspace();
    const writer = new LoroDoc();
    writer.setPeerId(1n);
    const list = writer.getList("meals");
    list.push("breakfast");
    writer.commit();
    const afterFirst = writer.oplogVersion();
    const first = writer.export({ mode: "update" });
    list.push("lunch");
    writer.commit();
    const second = writer.export({ mode: "update", from: afterFirst });
    // As when the first push was lost and retried after the second went through: the later change gets the lower seq.
    assert.equal(await pushed(w.workspaceId, w.token, second), 1);
    assert.equal(await pushed(w.workspaceId, w.token, first), 2);

    const reader = new LoroDoc();
    const partial = await pull(w.workspaceId, w.token, 0);
    reader.import(partial.frames[0].payload);
    assert.deepEqual(reader.toJSON().meals ?? [], [], "the later change waits for its predecessor");
    for (const frame of partial.frames.slice(1)) {
      assert.equal(frame.kind, FrameKind.change);
      reader.import(frame.payload);
    }
    assert.deepEqual(reader.toJSON(), { meals: ["breakfast", "lunch"] });
    assert.deepEqual(reader.toJSON(), writer.toJSON());
  });
});
