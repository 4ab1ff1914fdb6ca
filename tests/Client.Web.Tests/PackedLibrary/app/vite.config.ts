import wasm from "vite-plugin-wasm";
import { defineConfig } from "vite";

// What an app that adopts @syncengine/sync adds to its Vite config: loro-crdt's WebAssembly in the page and in the
// sync worker, and no pre-bundling of the two packages, which would lose the worker's and the wasm's URLs in dev.
export default defineConfig({
  plugins: [wasm()],
  worker: { format: "es", plugins: () => [wasm()] },
  build: { target: "esnext" },
  optimizeDeps: { exclude: ["@syncengine/sync", "loro-crdt"] },
});
