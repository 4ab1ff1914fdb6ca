import react from "@vitejs/plugin-react";
import wasm from "vite-plugin-wasm";
import { defaultClientConditions } from "vite";
import { defineConfig } from "vitest/config";
import type { Connect, Plugin } from "vite";

// Two apps in one bundle: the meal journal at / (index.html) and the task lists at /tasks/ (tasks/index.html). Vite's
// own history fallback knows only the root page, so the task lists' routes get their page here, in the dev server and
// in `vite preview` alike (the gateway does the same for the built bundle: Gateway/WebBundle.cs).
const taskListRoutes = (): Plugin => {
  const rewrite: Connect.NextHandleFunction = (req, _res, next) => {
    const path = (req.url ?? "").split("?")[0]!;
    if (/^\/tasks(\/|$)/.test(path) && !/\.[a-z0-9]+$/i.test(path)) req.url = "/tasks/index.html";
    next();
  };
  return {
    name: "task-list-routes",
    configureServer: (server) => void server.middlewares.use(rewrite),
    configurePreviewServer: (server) => void server.middlewares.use(rewrite),
  };
};

// The AppHost hands us a port (PORT) and the gateway proxies to it; stay on loopback and fail rather than drift.
// loro-crdt ships WebAssembly as an ES module import, which needs vite-plugin-wasm in the page and in the worker.
// The demo builds @syncengine/sync from its TypeScript source (the `@syncengine/source` export condition); an app
// that installs the package gets its built dist/ instead. Not under Vitest, whose own conditions load loro-crdt's
// Node build (the tests import the library's source by path).
export default defineConfig(({ mode }) => ({
  plugins: [react(), wasm(), taskListRoutes()],
  resolve: mode === "test" ? {} : { conditions: ["@syncengine/source", ...defaultClientConditions] },
  worker: { format: "es", plugins: () => [wasm()] },
  build: {
    target: "esnext",
    rollupOptions: { input: { journal: "index.html", tasks: "tasks/index.html" } },
    // The AppHost's `serve` gives each run a folder of its own (WebClient.cs), which `vite preview` serves too: two
    // apps building into one dist/ emptied it under the other's server.
    ...(process.env.SYNCENGINE_WEB_OUT_DIR ? { outDir: process.env.SYNCENGINE_WEB_OUT_DIR, emptyOutDir: true } : {}),
  },
  optimizeDeps: { exclude: ["loro-crdt"] },
  server: {
    host: "127.0.0.1",
    port: Number(process.env.PORT ?? 5173),
    strictPort: true,
  },
  preview: {
    host: "127.0.0.1",
    port: Number(process.env.PORT ?? 4173),
    strictPort: true,
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "src/**/*.test.ts"],
    environment: "node",
  },
}));
