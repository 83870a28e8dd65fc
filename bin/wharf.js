#!/usr/bin/env node
// Launcher for the `wharf` command. `wharf daemon` runs the bundle
// dist/wharf.mjs (scripts/build-engine.mjs, made by `npm run build`) when it
// exists and is newer than every engine source: plain JavaScript starts
// faster and idles in less memory than the tsx loader. Everything else
// (`wharf serve`, whose web UI server finds its files next to its sources,
// --help), and the daemon when the bundle is missing or stale, runs
// engine/cli.ts from source through tsx's ESM loader (tsx is a runtime
// dependency). WHARF_FROM_SOURCE=1 forces the sources. Native paths resolve
// the same either way (native/native-dir.ts).
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/wharf.mjs', import.meta.url));

/** Newest mtime (ms) of the .ts files under `dir`. */
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    const root = fileURLToPath(new URL('..', import.meta.url));
    return built >= Math.max(newestSource(`${root}engine`), newestSource(`${root}native`));
  } catch {
    return false;
  }
}

if (process.argv[2] === 'daemon' && process.env.WHARF_FROM_SOURCE !== '1' && bundleIsFresh()) {
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../engine/cli.ts');
}
