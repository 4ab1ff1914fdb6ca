import { BrowserRouter, Link, Route, Routes } from "react-router";
import { useSyncClient } from "@syncengine/sync/react";
import { HomePage } from "./pages/HomePage";
import { JoinPage } from "./pages/JoinPage";
import { JournalPage } from "./pages/JournalPage";
import { SharePage } from "./pages/SharePage";
import { currentVersion } from "./schema";

export function App() {
  const client = useSyncClient();
  return (
    <BrowserRouter>
      <header className="top">
        <h1><Link to="/">Meal journal</Link></h1>
        <p className="muted">
          Local-first on SyncEngine · this device <code data-testid="device-id">{client.clientId}</code> · <a href="/tasks/">Task lists</a>
          {client.schema.version !== currentVersion && (
            <span className="badge status-update-required" data-testid="old-app"> running app schema v{client.schema.version} (simulated older app)</span>
          )}
        </p>
      </header>
      <main>
        <Routes>
          <Route path="/" element={<HomePage />} />
          <Route path="/w/:workspaceId" element={<JournalPage />} />
          <Route path="/w/:workspaceId/share" element={<SharePage />} />
          <Route path="/join/:workspaceId" element={<JoinPage />} />
          <Route path="*" element={<p>Nothing here. <Link to="/">Your journals</Link></p>} />
        </Routes>
      </main>
    </BrowserRouter>
  );
}
