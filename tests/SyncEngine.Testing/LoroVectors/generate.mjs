// Writes real Loro exports for the tests: a snapshot and an update made by loro-crdt itself, so the server's envelope
// check is tested against the library's output rather than against our reading of its format.
import { writeFileSync } from "node:fs";
import { LoroDoc } from "loro-crdt";

const doc = new LoroDoc();
doc.setPeerId(1n);
doc.getList("items").insert(0, "oat milk");
doc.getMap("meta").set("title", "groceries");
doc.commit();
const before = doc.oplogVersion();
doc.getList("items").insert(1, "coffee");
doc.commit();

writeFileSync(new URL("./snapshot.bin", import.meta.url), doc.export({ mode: "snapshot" }));
writeFileSync(new URL("./update.bin", import.meta.url), doc.export({ mode: "update", from: before }));
console.log("wrote snapshot.bin and update.bin");
