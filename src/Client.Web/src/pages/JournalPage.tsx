import { useEffect, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { useDocument, useSyncClient, useWorkspace } from "@syncengine/sync/react";
import { addMeal, meals, removeMeal, title } from "../journal";
import type { MealKind } from "../schema";
import { SyncStatus } from "../SyncStatus";

const kinds: MealKind[] = ["breakfast", "lunch", "dinner", "snack"];

export function JournalPage() {
  const { workspaceId = "" } = useParams();
  const client = useSyncClient();
  const workspace = useWorkspace(workspaceId);
  const { handle } = useDocument(workspaceId);
  const [name, setName] = useState("");
  const [calories, setCalories] = useState("");
  const [kind, setKind] = useState<MealKind>("lunch");
  const doc = handle?.doc;
  const journalTitle = doc ? title(doc) : "";
  const list = doc ? meals(doc) : [];
  const version = client.schema.version;

  useEffect(() => {
    // A joined journal learns its name from the document.
    if (workspace && journalTitle && workspace.label !== journalTitle) void client.setLabel(workspaceId, journalTitle);
  }, [client, workspace, workspaceId, journalTitle]);

  if (workspace === null) return <p>This device does not know journal {workspaceId}. <Link to="/">Back</Link></p>;
  if (!workspace || !doc) return <p className="muted">Opening…</p>;

  const readOnly = workspace.role === "member" && workspace.scope === "read";

  function add(event: FormEvent) {
    event.preventDefault();
    const kcal = Number(calories);
    if (!name.trim() || !Number.isFinite(kcal) || kcal < 0) return;
    addMeal(doc!, { name: name.trim(), calories: Math.round(kcal), kind }, version);
    // The form clears once the meal is stored on this device (a few milliseconds): from then on it survives a reload.
    void handle!.flushed().then(() => {
      setName("");
      setCalories("");
    });
  }

  const total = list.reduce((sum, meal) => sum + meal.calories, 0);
  return (
    <section>
      <p><Link to="/">← Journals</Link></p>
      <header className="row spread">
        <h2 data-testid="journal-title">{journalTitle || workspace.label}</h2>
        <div className="row">
          <button type="button" onClick={() => client.syncNow(workspaceId)} data-testid="sync-now">Sync now</button>
          {workspace.role === "owner" && <Link className="button" to={`/w/${workspaceId}/share`} data-testid="share">Share</Link>}
        </div>
      </header>
      <SyncStatus workspaceId={workspaceId} />
      {!readOnly && (
        <form onSubmit={add} className="row">
          <input aria-label="Meal" placeholder="What did you eat?" value={name} onChange={(e) => setName(e.target.value)} data-testid="meal-name" />
          <input aria-label="Calories" placeholder="kcal" inputMode="numeric" value={calories} onChange={(e) => setCalories(e.target.value)} data-testid="meal-calories" className="narrow" />
          {version >= 2 && (
            <select aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value as MealKind)} data-testid="meal-kind">
              {kinds.map((k) => <option key={k} value={k}>{k}</option>)}
            </select>
          )}
          <button type="submit" data-testid="add-meal">Add meal</button>
        </form>
      )}
      {readOnly && <p className="muted">You can read this journal; only its owner's writers can add meals.</p>}
      <table className="meals">
        <thead><tr><th>Meal</th>{version >= 2 && <th>Kind</th>}<th className="num">kcal</th><th>When</th><th /></tr></thead>
        <tbody>
          {list.map((meal) => (
            <tr key={meal.id} data-testid="meal">
              <td data-testid="meal-row-name">{meal.name}</td>
              {version >= 2 && <td>{meal.kind ?? ""}</td>}
              <td className="num">{meal.calories}</td>
              <td className="muted">{new Date(meal.eatenAt).toLocaleString()}</td>
              <td>{!readOnly && <button type="button" className="link" onClick={() => removeMeal(doc, meal.id)} aria-label={`Remove ${meal.name}`}>remove</button>}</td>
            </tr>
          ))}
        </tbody>
        <tfoot><tr><th>Total</th>{version >= 2 && <th />}<th className="num" data-testid="total-calories">{total}</th><th colSpan={2} /></tr></tfoot>
      </table>
      {list.length === 0 && <p className="muted">No meals yet.</p>}
    </section>
  );
}
