import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { SyncClient } from "@syncengine/sync";
import { SyncProvider } from "@syncengine/sync/react";
import { App } from "./App";
import { currentVersion, mealJournalSchema } from "./schema";
import "./styles.css";

// `?schemaVersion=1` runs this tab as the app was at that version (kept for the tab's session): it shows what an
// outdated device sees, and lets the browser tests prove the server refuses it.
const pinnedKey = "meal-journal:schema-version";
const requested = new URLSearchParams(location.search).get("schemaVersion");
if (requested) sessionStorage.setItem(pinnedKey, requested);
const pinned = Number(sessionStorage.getItem(pinnedKey) ?? currentVersion);
const version = Number.isInteger(pinned) && pinned >= 1 && pinned <= currentVersion ? pinned : currentVersion;

// `?transport=http` keeps this tab (for its session, like the schema version) on HTTP and event streams instead of the
// realtime channel: the browser tests run every journey on both.
const transportKey = "meal-journal:transport";
const requestedTransport = new URLSearchParams(location.search).get("transport");
if (requestedTransport) sessionStorage.setItem(transportKey, requestedTransport);
const transport = sessionStorage.getItem(transportKey) === "http" ? "http" : "socket";
const client = await SyncClient.open({ schema: mealJournalSchema(version), transport });
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
