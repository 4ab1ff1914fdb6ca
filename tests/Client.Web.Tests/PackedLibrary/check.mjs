// Packs @syncengine/sync as npm would publish it, installs the tarball into a new app in a temporary folder (nothing
// of the workspace reachable from there), and checks that the app imports both entry points in Node, type-checks
// under strict TypeScript and builds with Vite, sync worker and WebAssembly included.
// Usage: node check.mjs <src/Client.Web>. Packages come from npm's cache when it has them (npm ci filled it).
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const clientWeb = resolve(process.argv[2] ?? "");
const library = join(clientWeb, "packages", "sync");
const work = mkdtempSync(join(tmpdir(), "syncengine-adopt-"));
const started = Date.now();

function run(command, args, cwd) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`[${seconds}s] ${command} ${args.join(" ")}`);
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, npm_config_update_notifier: "false" } });
  } catch (error) {
    throw new Error(`${command} ${args.join(" ")} exited with ${error.status}:\n${error.stdout ?? ""}`);
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

try {
  const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], library));
  const files = packed.files.map((f) => f.path);
  console.log(`${packed.filename}: ${files.length} files, ${packed.size} bytes`);
  for (const file of ["dist/index.js", "dist/index.d.ts", "dist/react.js", "dist/react.d.ts", "dist/worker/worker.js", "package.json"]) {
    check(files.includes(file), `the tarball lacks ${file}`);
  }
  check(!files.some((f) => f.startsWith("src/") || f.startsWith("test/")), "the tarball carries sources or tests");

  // The app's tools at the versions the workspace locked, so that npm finds them in its cache.
  const lock = JSON.parse(readFileSync(join(clientWeb, "package-lock.json"), "utf8")).packages;
  const locked = (name) => lock[`node_modules/${name}`].version;
  const tools = ["react", "react-dom", "@types/react", "@types/react-dom", "typescript", "vite", "vite-plugin-wasm"];
  const app = join(work, "app");
  cpSync(join(import.meta.dirname, "app"), app, { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({
    name: "adopting-app",
    private: true,
    type: "module",
    dependencies: { "@syncengine/sync": `file:${join(work, packed.filename)}`, ...Object.fromEntries(tools.map((t) => [t, locked(t)])) },
  }, null, 2));
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], app);

  const imported = run(process.execPath, ["--input-type=module", "-e", `
    const sync = await import("@syncengine/sync");
    const react = await import("@syncengine/sync/react");
    console.log(JSON.stringify({ sync: Object.keys(sync).sort(), react: Object.keys(react).sort() }));`], app);
  const exports = JSON.parse(imported.trim().split("\n").at(-1));
  console.log(`exports: ${JSON.stringify(exports)}`);
  check(exports.sync.includes("SyncClient") && !exports.sync.includes("SyncStore"), "@syncengine/sync should export SyncClient and not SyncStore");
  for (const hook of ["SyncProvider", "useSyncClient", "useWorkspaces", "useWorkspace", "useSyncState", "usePendingCount", "useDocument"]) {
    check(exports.react.includes(hook), `@syncengine/sync/react lacks ${hook}`);
  }

  run(process.execPath, [join(app, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], app);
  run(process.execPath, [join(app, "node_modules", "vite", "bin", "vite.js"), "build", "--logLevel", "warn"], app);
  const assets = readdirSync(join(app, "dist", "assets"));
  console.log(`built: ${assets.join(", ")}`);
  check(assets.some((a) => /^worker-.*\.js$/.test(a)), "the build has no sync worker bundle");
  check(assets.some((a) => a.endsWith(".wasm")), "the build has no loro WebAssembly");
  console.log(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
