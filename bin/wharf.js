#!/usr/bin/env node
// Launcher for the `wharf` command: runs engine/cli.ts through tsx's ESM
// loader (tsx is a runtime dependency), so the engine ships as its sources
// with no separate compile step.
import { register } from 'tsx/esm/api';

register();
await import('../engine/cli.ts');
