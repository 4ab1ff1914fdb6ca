import { LoroMap, type LoroDoc } from "loro-crdt";
import type { AppSchema } from "@syncengine/sync";

/**
 * The task lists' document schema, a second app on the same library and server as the meal journal.
 * v1: `list.title`; `tasks` maps a task id to {text, done}.
 * v2: every task also has `addedAt`, the order the list shows them in (tasks of v1 lists sort first, by id).
 */
export const currentVersion = 2;

const migrations: Record<number, (doc: LoroDoc) => void> = {
  // Idempotent, as migrations must be: two devices may run it on the same data concurrently.
  2: (doc) => {
    const tasks = doc.getMap("tasks");
    for (const id of tasks.keys()) {
      const task = tasks.get(id);
      if (task instanceof LoroMap && task.get("addedAt") === undefined) task.set("addedAt", 0);
    }
  },
};

export const taskListSchema: AppSchema = { name: "task-lists", version: currentVersion, migrations };

/** The app as the server knows it: registered by the AppHost (Apps:Register:tasks), quotas and versions its own. */
export const taskListAppId = "tasks";
