import { LoroMap, type LoroDoc } from "loro-crdt";

export interface Task {
  id: string;
  text: string;
  done: boolean;
  addedAt: number;
}

export function listTitle(doc: LoroDoc): string {
  const value = doc.getMap("list").get("title");
  return typeof value === "string" ? value : "";
}

export function setListTitle(doc: LoroDoc, value: string): void {
  doc.getMap("list").set("title", value);
  doc.commit();
}

/** Open tasks first, each group in the order added. */
export function tasks(doc: LoroDoc): Task[] {
  const all = doc.getMap("tasks").toJSON() as Record<string, Omit<Task, "id">>;
  return Object.entries(all)
    .map(([id, task]) => ({ id, text: String(task.text ?? ""), done: task.done === true, addedAt: Number(task.addedAt ?? 0) }))
    .sort((a, b) => Number(a.done) - Number(b.done) || a.addedAt - b.addedAt || a.id.localeCompare(b.id));
}

export function addTask(doc: LoroDoc, text: string): void {
  const task = doc.getMap("tasks").setContainer(crypto.randomUUID(), new LoroMap());
  task.set("text", text);
  task.set("done", false);
  task.set("addedAt", Date.now());
  doc.commit();
}

export function setDone(doc: LoroDoc, id: string, done: boolean): void {
  const task = doc.getMap("tasks").get(id);
  if (task instanceof LoroMap) {
    task.set("done", done);
    doc.commit();
  }
}

export function removeTask(doc: LoroDoc, id: string): void {
  doc.getMap("tasks").delete(id);
  doc.commit();
}
