import react from "@vitejs/plugin-react";
import wasm from "vite-plugin-wasm";
import { defaultClientConditions } from "vite";
import { defineConfig } from "vitest/config";

// The AppHost hands us a port (PORT) and the gateway proxies to it; stay on loopback and fail rather than drift.
// loro-crdt ships WebAssembly as an ES module import, which needs vite-plugin-wasm in the page and in the worker.
// The demo builds @syncengine/sync from its TypeScript source (the `@syncengine/source` export condition); an app
// that installs the package gets its built dist/ instead. Not under Vitest, whose own conditions load loro-crdt's
// Node build (the tests import the library's source by path).
export default defineConfig(({ mode }) => ({
  plugins: [react(), wasm()],
  resolve: mode === "test" ? {} : { conditions: ["@syncengine/source", ...defaultClientConditions] },
  worker: { format: "es", plugins: () => [wasm()] },
  build: { target: "esnext" },
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
