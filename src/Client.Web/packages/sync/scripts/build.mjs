// Builds dist/ for `npm pack`: tsc emits JS and .d.ts; then the worker's URL in client.js is pointed at the emitted
// worker.js. The source names worker.ts so that Vite finds and bundles the worker when an app builds from source (the
// demo here); tsc leaves URL strings as they are.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync(join(root, "dist"), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });

const client = join(root, "dist", "client.js");
const source = readFileSync(client, "utf8");
const workerUrl = 'new URL("./worker/worker.ts", import.meta.url)';
if (!source.includes(workerUrl)) {
  throw new Error(`dist/client.js no longer contains ${workerUrl}: update scripts/build.mjs with the worker's new URL.`);
}
writeFileSync(client, source.replace(workerUrl, 'new URL("./worker/worker.js", import.meta.url)'));
