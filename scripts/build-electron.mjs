// Bundles the Electron main process and the preload with esbuild:
// app/main/dist/main.mjs (ESM, Node platform) and app/main/dist/preload.cjs
// (one CommonJS file, as sandboxed preloads require). `electron` and npm
// packages stay external.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', external: ['electron'] };
await build({
  ...common,
  entryPoints: ['app/main/main.ts'],
  outfile: 'app/main/dist/main.mjs',
  format: 'esm',
  packages: 'external',
});
await build({ ...common, entryPoints: ['app/main/preload.ts'], outfile: 'app/main/dist/preload.cjs', format: 'cjs' });
