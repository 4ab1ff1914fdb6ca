import { defineConfig } from "vite";

// The AppHost hands us a port (PORT) and the gateway proxies to it; stay on loopback and fail rather than drift.
export default defineConfig({
  server: {
    host: "127.0.0.1",
    port: Number(process.env.PORT ?? 5173),
    strictPort: true,
  },
});
