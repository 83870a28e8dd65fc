#!/usr/bin/env node
// Launcher for the `wharf` command: runs engine/cli.ts from source through
// tsx's ESM loader (tsx is a runtime dependency), so the engine needs no
// compile step and its import.meta.url-relative paths (native binaries, the
// addon) stay valid.
import { register } from 'tsx/esm/api';

register();
await import('../engine/cli.ts');
