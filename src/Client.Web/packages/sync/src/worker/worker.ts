import { channelName, type Broadcast, type ToWorker } from "../messages.js";
import { SyncWorker } from "./sync-worker.js";

// The page creates this worker; it owns every network call of the sync and outlives page renders.
let worker: SyncWorker | undefined;

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "start") {
    const channel = new BroadcastChannel(channelName(message.appName));
    worker = new SyncWorker({
      ...message,
      broadcast: (m: Broadcast) => channel.postMessage(m),
      transportChosen: (transport) => self.postMessage({ type: "transport", transport }),
    });
    void worker.start();
    return;
  }
  if (!worker) return;
  if (message.type === "changed") worker.changed(message.workspaceId);
  else if (message.type === "watch") worker.watch(message.workspaceId, message.on);
  else if (message.type === "sync") void worker.resume(message.workspaceId);
  else if (message.type === "network") void worker.network(message.online);
};

// Module workers may get messages before a top-level await (loro's WebAssembly) settles, and those are lost:
// the page holds its messages until it hears this.
self.postMessage({ type: "ready" });
