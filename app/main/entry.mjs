// Electron's entry (package.json "main"): loads the TypeScript main process
// through tsx's ESM loader, as bin/wharf.js does for the engine, so the
// engine runs from its sources next to native/build/Release. Only the
// sandboxed preload is bundled (npm run build:electron).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
