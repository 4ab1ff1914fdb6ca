import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useSyncClient, useWorkspaces } from "@syncengine/sync/react";
import { setTitle } from "../journal";
import { StateBadge } from "../SyncStatus";

export function HomePage() {
  const client = useSyncClient();
  const workspaces = useWorkspaces();
  const navigate = useNavigate();
  const [name, setName] = useState("");

  async function create(event: FormEvent) {
    event.preventDefault();
    const label = name.trim() || "My meals";
    const id = await client.createWorkspace(label, (doc) => setTitle(doc, label));
    setName("");
    navigate(`/w/${id}`);
  }

  return (
    <section>
      <h2>Your journals</h2>
      <form onSubmit={create} className="row">
        <input aria-label="Journal name" placeholder="New journal, e.g. Family meals" value={name} onChange={(e) => setName(e.target.value)} data-testid="new-journal-name" />
        <button type="submit" data-testid="create-journal">Create journal</button>
      </form>
      {workspaces === undefined ? null : workspaces.length === 0 ? (
        <p className="muted">No journals yet. Create one — it works offline, and syncs when the server is reachable.</p>
      ) : (
        <ul className="cards" data-testid="journals">
          {workspaces.map((w) => (
            <li key={w.workspaceId} data-testid="journal">
              <Link to={`/w/${w.workspaceId}`}>{w.label}</Link>
              <span className="muted">{w.role === "owner" ? "owner" : w.scope === "read" ? "read only" : "member"}</span>
              <StateBadge state={w.state} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
