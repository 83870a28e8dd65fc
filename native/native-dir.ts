// Where the native build (wharf-runtime, wharf-shim, wharf-untar, the addon)
// is: $WHARF_NATIVE_DIR, else <package root>/native/build/Release. The
// package root is found by walking up from this module to the nearest dir
// holding package.json, so the answer is the same whether the engine runs
// from its sources (native/native-dir.ts) or from the bundle (dist/*.mjs).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest dir at or above `from` that holds a package.json. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json at or above ${from}`);
    dir = up;
  }
}

/** The folder of the native build. */
export const NATIVE_DIR: string =
  process.env.WHARF_NATIVE_DIR || join(packageRoot(), 'native', 'build', 'Release');
