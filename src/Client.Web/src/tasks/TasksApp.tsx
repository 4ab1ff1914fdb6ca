import { useEffect, useState, type FormEvent } from "react";
import { BrowserRouter, Link, Route, Routes, useNavigate, useParams } from "react-router";
import { useDocument, useSyncClient, useWorkspace, useWorkspaces } from "@syncengine/sync/react";
import { StateBadge, SyncStatus } from "../SyncStatus";
import { addTask, listTitle, removeTask, setDone, setListTitle, tasks } from "./tasks";

export function TasksApp() {
  const client = useSyncClient();
  return (
    <BrowserRouter basename="/tasks">
      <header className="top">
        <h1><Link to="/">Task lists</Link></h1>
        <p className="muted">
          Local-first on SyncEngine · this device <code data-testid="device-id">{client.clientId}</code> · <a href="/">Meal journal</a>
        </p>
      </header>
      <main>
        <Routes>
          <Route path="/" element={<ListsPage />} />
          <Route path="/l/:workspaceId" element={<ListPage />} />
          <Route path="*" element={<p>Nothing here. <Link to="/">Your lists</Link></p>} />
        </Routes>
      </main>
    </BrowserRouter>
  );
}

function ListsPage() {
  const client = useSyncClient();
  const workspaces = useWorkspaces();
  const navigate = useNavigate();
  const [name, setName] = useState("");

  async function create(event: FormEvent) {
    event.preventDefault();
    const label = name.trim() || "To do";
    const id = await client.createWorkspace(label, (doc) => setListTitle(doc, label));
    setName("");
    navigate(`/l/${id}`);
  }

  return (
    <section>
      <h2>Your lists</h2>
      <form onSubmit={create} className="row">
        <input aria-label="List name" placeholder="New list, e.g. Groceries" value={name} onChange={(e) => setName(e.target.value)} data-testid="new-list-name" />
        <button type="submit" data-testid="create-list">Create list</button>
      </form>
      {workspaces === undefined ? null : workspaces.length === 0 ? (
        <p className="muted">No lists yet. Create one — it works offline, and syncs when the server is reachable.</p>
      ) : (
        <ul className="cards" data-testid="lists">
          {workspaces.map((w) => (
            <li key={w.workspaceId} data-testid="list">
              <Link to={`/l/${w.workspaceId}`}>{w.label}</Link>
              <StateBadge state={w.state} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ListPage() {
  const { workspaceId = "" } = useParams();
  const client = useSyncClient();
  const workspace = useWorkspace(workspaceId);
  const { handle } = useDocument(workspaceId);
  const [text, setText] = useState("");
  const doc = handle?.doc;
  const title = doc ? listTitle(doc) : "";
  const all = doc ? tasks(doc) : [];

  useEffect(() => {
    if (workspace && title && workspace.label !== title) void client.setLabel(workspaceId, title);
  }, [client, workspace, workspaceId, title]);

  if (workspace === null) return <p>This device does not know list {workspaceId}. <Link to="/">Back</Link></p>;
  if (!workspace || !doc) return <p className="muted">Opening…</p>;

  function add(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) return;
    addTask(doc!, text.trim());
    // Cleared once the task is stored on this device, as the journal's form is.
    void handle!.flushed().then(() => setText(""));
  }

  const open = all.filter((task) => !task.done).length;
  return (
    <section>
      <p><Link to="/">← Lists</Link></p>
      <header className="row spread">
        <h2 data-testid="list-title">{title || workspace.label}</h2>
        <button type="button" onClick={() => client.syncNow(workspaceId)} data-testid="sync-now">Sync now</button>
      </header>
      <SyncStatus workspaceId={workspaceId} />
      <form onSubmit={add} className="row">
        <input aria-label="Task" placeholder="What needs doing?" value={text} onChange={(e) => setText(e.target.value)} data-testid="task-text" />
        <button type="submit" data-testid="add-task">Add task</button>
      </form>
      <ul className="tasks" data-testid="tasks">
        {all.map((task) => (
          <li key={task.id} data-testid="task" data-done={task.done}>
            <label>
              <input type="checkbox" checked={task.done} onChange={(e) => setDone(doc, task.id, e.target.checked)} data-testid="task-done" />
              <span data-testid="task-row-text">{task.text}</span>
            </label>
            <button type="button" className="link" onClick={() => removeTask(doc, task.id)} aria-label={`Remove ${task.text}`}>remove</button>
          </li>
        ))}
      </ul>
      <p className="muted" data-testid="open-count">{all.length === 0 ? "No tasks yet." : `${open} of ${all.length} open`}</p>
    </section>
  );
}
