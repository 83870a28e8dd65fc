// Where the native binaries are when the app runs. From the sources they sit
// in native/build/Release. In the packaged app they are unpacked from the
// asar archive (electron-builder.yml: asarUnpack) into
// <resources>/app.asar.unpacked/native/build/Release: executables cannot be
// spawned from inside app.asar, and the import.meta.url-relative defaults of
// the engine point into it.
//
// An AppImage mounts itself at a fresh /tmp/.mount_* for each run and
// unmounts it on quit, but shims (and the runtime they call) outlive the app
// with the containers they own. So the executables are copied to a stable
// per-version folder first, and the engine is pointed there.
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXECUTABLES = ['wharf-runtime', 'wharf-shim', 'wharf-untar'] as const;
/** What a stable copy holds: the executables, and the addon so one folder serves all. */
const COPIED = [...EXECUTABLES, 'wharf_native.node'];

export interface NativeBinaries {
  dir: string;
  runtime: string;
  shim: string;
  untar: string;
}

const SOURCE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../native/build/Release');

/** The folder holding the native build, for this run of the app. */
export function nativeDir(opts: { isPackaged: boolean; resourcesPath?: string }): string {
  if (!opts.isPackaged || !opts.resourcesPath) return SOURCE_DIR;
  return join(opts.resourcesPath, 'app.asar.unpacked', 'native', 'build', 'Release');
}

/**
 * Copies the native build of `from` into `to` (once per version: a copy with
 * the same size is kept, as running shims may be executing it), atomically
 * (copy to a temporary name, rename), and returns `to`.
 */
export function stableCopy(from: string, to: string): string {
  mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const name of COPIED) {
    const src = join(from, name);
    const dst = join(to, name);
    if (!existsSync(src)) continue;
    if (existsSync(dst) && statSync(dst).size === statSync(src).size) continue;
    const tmp = `${dst}.${process.pid}.tmp`;
    copyFileSync(src, tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, dst);
  }
  return to;
}

export function binariesIn(dir: string): NativeBinaries {
  return {
    dir,
    runtime: join(dir, 'wharf-runtime'),
    shim: join(dir, 'wharf-shim'),
    untar: join(dir, 'wharf-untar'),
  };
}

/**
 * The binaries the embedded engine should use: `override` (the user's
 * $WHARF_NATIVE_DIR) when given, else as above. `stableRoot` is a folder that
 * outlives the app (e.g. <userData>/bin); `version` names the copy in it.
 */
export function resolveBinaries(opts: {
  isPackaged: boolean;
  resourcesPath?: string;
  appImage?: string;
  override?: string;
  stableRoot: string;
  version: string;
}): NativeBinaries {
  if (opts.override) return binariesIn(opts.override);
  const dir = nativeDir(opts);
  if (!opts.isPackaged || !opts.appImage) return binariesIn(dir);
  return binariesIn(stableCopy(dir, join(opts.stableRoot, opts.version)));
}
