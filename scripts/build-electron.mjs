// Bundles the Electron preload into one CommonJS file, as sandboxed
// preloads require: app/main/dist/preload.cjs. The main process itself runs
// from its TypeScript sources through app/main/entry.mjs.
import { build } from 'esbuild';

await build({
  entryPoints: ['app/main/preload.ts'],
  outfile: 'app/main/dist/preload.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['electron'],
  logLevel: 'warning',
});
