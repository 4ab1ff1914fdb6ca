import { LoroMap, type LoroDoc } from "loro-crdt";
import { kindAt, type MealKind } from "./schema";

export interface Meal {
  id: string;
  name: string;
  calories: number;
  eatenAt: number;
  kind?: MealKind;
}

export function title(doc: LoroDoc): string {
  const value = doc.getMap("journal").get("title");
  return typeof value === "string" ? value : "";
}

export function setTitle(doc: LoroDoc, value: string): void {
  doc.getMap("journal").set("title", value);
  doc.commit();
}

/** Meals newest first. */
export function meals(doc: LoroDoc): Meal[] {
  const all = doc.getMap("meals").toJSON() as Record<string, Omit<Meal, "id">>;
  return Object.entries(all)
    .map(([id, meal]) => ({ ...meal, id }))
    .sort((a, b) => b.eatenAt - a.eatenAt || a.id.localeCompare(b.id));
}

export function addMeal(doc: LoroDoc, meal: { name: string; calories: number; kind?: MealKind }, schemaVersion: number): void {
  const eatenAt = Date.now();
  const entry = doc.getMap("meals").setContainer(crypto.randomUUID(), new LoroMap());
  entry.set("name", meal.name);
  entry.set("calories", meal.calories);
  entry.set("eatenAt", eatenAt);
  if (schemaVersion >= 2) {
    entry.set("kind", meal.kind ?? kindAt(eatenAt));
  }
  doc.commit();
}

export function removeMeal(doc: LoroDoc, id: string): void {
  doc.getMap("meals").delete(id);
  doc.commit();
}
