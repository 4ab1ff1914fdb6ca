import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { SyncClient } from "@syncengine/sync";
import { SyncProvider } from "@syncengine/sync/react";
import { App } from "./App";
import { currentVersion, mealJournalSchema } from "./schema";
import { chosenTransport } from "./transport";
import "./styles.css";

// `?schemaVersion=1` runs this tab as the app was at that version (kept for the tab's session): it shows what an
// outdated device sees, and lets the browser tests prove the server refuses it.
const pinnedKey = "meal-journal:schema-version";
const requested = new URLSearchParams(location.search).get("schemaVersion");
if (requested) sessionStorage.setItem(pinnedKey, requested);
const pinned = Number(sessionStorage.getItem(pinnedKey) ?? currentVersion);
const version = Number.isInteger(pinned) && pinned >= 1 && pinned <= currentVersion ? pinned : currentVersion;

const client = await SyncClient.open({ schema: mealJournalSchema(version), transport: chosenTransport("meal-journal") });
// Lets a user (and the browser tests) see when edits will start syncing: the worker has loaded.
void client.ready.then(() => (document.documentElement.dataset.syncReady = "true"));
void client.transport.then((chosen) => (document.documentElement.dataset.syncTransport = chosen));
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <SyncProvider client={client}>
      <App />
    </SyncProvider>
  </StrictMode>,
);
