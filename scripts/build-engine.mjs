// Bundles the engine's command line (engine/cli.ts) into dist/wharf.mjs, so
// `wharf daemon` runs as plain JavaScript: no tsx loader thread, no
// per-module transpiling at start, and a smaller idle RSS (issue 4, "Speed
// and memory"). npm packages stay external (loaded from node_modules); the
// native build is found through native/native-dir.ts (package root lookup or
// $WHARF_NATIVE_DIR). `wharf serve` keeps running from the sources through
// tsx (bin/wharf.js): the web UI server finds its files relative to itself.
import { build } from 'esbuild';

await build({
  entryPoints: ['engine/cli.ts'],
  outfile: 'dist/wharf.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
  plugins: [
    {
      name: 'serve-from-sources',
      setup(b) {
        // Only `wharf serve` imports it, and bin/wharf.js runs serve through tsx.
        b.onResolve({ filter: /app\/web\/serve\.js$/ }, (args) => ({ path: args.path, external: true }));
      },
    },
  ],
});
