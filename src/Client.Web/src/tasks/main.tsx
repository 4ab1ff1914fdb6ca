import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { SyncClient } from "@syncengine/sync";
import { SyncProvider } from "@syncengine/sync/react";
import { TasksApp } from "./TasksApp";
import { taskListAppId, taskListSchema } from "./schema";
import { chosenTransport } from "../transport";
import "../styles.css";

// Its own app on the server (quotas, schema versions, suspension) and its own local database beside the journal's.
const client = await SyncClient.open({
  schema: taskListSchema, appId: taskListAppId, joinPath: "/tasks/join", transport: chosenTransport("task-lists"),
});
void client.ready.then(() => (document.documentElement.dataset.syncReady = "true"));
void client.transport.then((chosen) => (document.documentElement.dataset.syncTransport = chosen));
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <SyncProvider client={client}>
      <TasksApp />
    </SyncProvider>
  </StrictMode>,
);
