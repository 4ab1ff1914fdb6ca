import { LoroMap, type LoroDoc } from "loro-crdt";
import type { AppSchema } from "@syncengine/sync";

/**
 * The meal journal's document schema.
 * v1: `journal.title`; `meals` maps a meal id to {name, calories, eatenAt}.
 * v2: every meal also has a `kind` (breakfast, lunch, dinner or snack).
 */
export const currentVersion = 2;

const migrations: Record<number, (doc: LoroDoc) => void> = {
  // Idempotent, as migrations must be: two devices may run it on the same data concurrently.
  2: (doc) => {
    const meals = doc.getMap("meals");
    for (const id of meals.keys()) {
      const meal = meals.get(id);
      if (meal instanceof LoroMap && meal.get("kind") === undefined) {
        meal.set("kind", kindAt(Number(meal.get("eatenAt") ?? 0)));
      }
    }
  },
};

export function kindAt(time: number): MealKind {
  const hour = new Date(time).getHours();
  return hour < 11 ? "breakfast" : hour < 16 ? "lunch" : hour < 21 ? "dinner" : "snack";
}

export type MealKind = "breakfast" | "lunch" | "dinner" | "snack";

/** The app as it was at `version`: the same name, only the migrations it had then. */
export function mealJournalSchema(version = currentVersion): AppSchema {
  return {
    name: "meal-journal",
    version,
    migrations: Object.fromEntries(Object.entries(migrations).filter(([to]) => Number(to) <= version)),
  };
}
