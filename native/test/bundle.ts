// Test fixture: an OCI bundle (busybox rootfs + a config.json with the
// mounts, masked and read-only paths the engine gives every container, see
// engine/runtime/spec/defaults.ts) for the native tests (wharf-runtime,
// wharf-shim, cgroups), plus small helpers to drive a runtime binary
// against it.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_PATH_ENV,
  DEFAULT_READONLY_PATHS,
  DEFAULT_SHM_SIZE,
  defaultMounts,
} from '../../engine/runtime/spec/defaults.js';
import { makeBusyboxRootfs } from '../../engine/testing/busybox.js';

export const NATIVE_BUILD = resolve(import.meta.dirname, '../build/Release');
export const WHARF_RUNTIME = join(NATIVE_BUILD, 'wharf-runtime');

export interface Json {
  [key: string]: unknown;
}

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export function randomId(prefix = 'wt'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export interface ConfigOptions {
  /** process.args (default `true`). */
  args?: string[];
  terminal?: boolean;
  /** Bounding, effective, permitted (and, by default only, ambient) set. */
  caps?: string[];
  /** Default: "runc" (what `runc spec` writes). */
  hostname?: string;
  /** Default: a random one under /wharf-test. */
  cgroupsPath?: string;
  /** linux.resources (default: deny all devices). */
  resources?: Json;
  /** Default: pid, network, ipc, uts, mount. */
  namespaces?: string[];
  /** /dev/shm size in bytes. */
  shmSize?: number;
}

/** A non-interactive config.json running `args`, laid out the way `runc spec` writes one. */
export function ociConfig(o: ConfigOptions = {}): Json {
  const caps = o.caps ?? DEFAULT_CAPS;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: o.terminal ?? false,
      user: { uid: 0, gid: 0 },
      args: o.args ?? ['true'],
      env: [DEFAULT_PATH_ENV, 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: caps,
        effective: caps,
        permitted: caps,
        ...(o.caps ? {} : { ambient: caps }),
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: o.hostname ?? 'runc',
    mounts: defaultMounts(o.shmSize ?? DEFAULT_SHM_SIZE, false),
    linux: {
      cgroupsPath: o.cgroupsPath ?? `/wharf-test/${randomId('cg')}`,
      resources: o.resources ?? { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: (o.namespaces ?? ['pid', 'network', 'ipc', 'uts', 'mount']).map((type) => ({ type })),
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}

/** The default config running `args`. */
export function defaultConfig(args: string[] = ['true']): Json {
  return ociConfig({ args });
}

export interface Bundle {
  dir: string;
  rootfs: string;
  config: Json;
  /** Rewrites config.json after changes to `config`. */
  save(): void;
}

export interface BundleOptions extends ConfigOptions {
  /** Changes the config in place before it is written. */
  edit?: (config: Json) => void;
  /** Use this (absolute) rootfs instead of `<dir>/rootfs`, so many bundles can share one. */
  sharedRootfs?: string;
  /** root.readonly (default true). */
  readonlyRoot?: boolean;
}

/** Writes `<dir>/rootfs` (busybox, unless shared and already there) and `<dir>/config.json`. */
export function writeBundle(dir: string, o: BundleOptions = {}): Bundle {
  mkdirSync(dir, { recursive: true });
  const rootfs = o.sharedRootfs ?? join(dir, 'rootfs');
  if (!existsSync(join(rootfs, 'bin/busybox'))) makeBusyboxRootfs(rootfs);
  const config = ociConfig(o);
  const root = config.root as Json;
  if (o.sharedRootfs) root.path = o.sharedRootfs;
  if (o.readonlyRoot !== undefined) root.readonly = o.readonlyRoot;
  o.edit?.(config);
  const bundle: Bundle = {
    dir,
    rootfs,
    config,
    save() {
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
    },
  };
  bundle.save();
  return bundle;
}

/**
 * Writes `<dir>/rootfs` (busybox) and `<dir>/config.json`. `edit` may change
 * the config in place. With `sharedRootfs`, root.path points at that
 * (absolute) rootfs instead, so many bundles can share one.
 */
export function makeBundle(dir: string, edit?: (config: Json) => void, sharedRootfs?: string): Bundle {
  return writeBundle(dir, { edit, sharedRootfs });
}

/** Mutable accessors for the nested objects of a config. */
export function processOf(config: Json): Json {
  return config.process as Json;
}
export function linuxOf(config: Json): Json {
  return config.linux as Json;
}

/** A temp dir others may traverse: a user-namespaced container's root must reach its rootfs. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Runtime {
  root: string;
  bin: string;
  /**
   * Runs the runtime and waits for it to exit. Output goes through files,
   * not pipes: a detached container inherits them and would otherwise keep
   * the call waiting for EOF.
   */
  run(args: string[], opts?: { input?: string; timeout?: number; env?: Record<string, string> }): RunResult;
  /** Best-effort teardown of a container (delete --force). */
  cleanup(id: string): void;
}

export function runtime(root: string, bin = WHARF_RUNTIME): Runtime {
  mkdirSync(root, { recursive: true });
  // Beside the state root, so removing the test's work dir removes it too.
  const io = mkdtempSync(join(dirname(root), 'io-'));
  let n = 0;
  return {
    root,
    bin,
    run(args, opts = {}) {
      const out = join(io, `${n}.out`);
      const err = join(io, `${n++}.err`);
      const outFd = openSync(out, 'w');
      const errFd = openSync(err, 'w');
      let res: SpawnSyncReturns<Buffer>;
      try {
        res = spawnSync(bin, ['--root', root, ...args], {
          input: opts.input ?? '',
          stdio: ['pipe', outFd, errFd],
          timeout: opts.timeout ?? 30000,
          env: opts.env ? { ...process.env, ...opts.env } : process.env,
        });
      } finally {
        closeSync(outFd);
        closeSync(errFd);
      }
      const result = {
        status: res.status,
        signal: res.signal,
        stdout: readFileSync(out, 'utf8'),
        stderr: readFileSync(err, 'utf8'),
      };
      rmSync(out, { force: true });
      rmSync(err, { force: true });
      return result;
    },
    cleanup(id) {
      spawnSync(bin, ['--root', root, 'delete', '--force', id], { stdio: 'ignore', timeout: 30000 });
    },
  };
}

/**
 * Removes the cgroup directories a test container may have left (all
 * hierarchies), first killing whatever still runs in them: only a test's
 * own containers live in its random cgroup.
 */
export function removeCgroup(cgroupsPath: string): void {
  const base = '/sys/fs/cgroup';
  let dirs: string[] = [];
  try {
    dirs = readdirSync(base)
      .map((e) => join(base, e, cgroupsPath))
      .filter((p) => existsSync(p));
  } catch {
    return;
  }
  for (const dir of dirs) {
    try {
      const frozen = join(dir, 'freezer.state');
      if (existsSync(frozen)) writeFileSync(frozen, 'THAWED');
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    } catch {
      // not a cgroup dir we can read
    }
  }
  for (let i = 0; i < 50 && dirs.length; i++) {
    dirs = dirs.filter((dir) => {
      try {
        rmdirSync(dir);
        return false;
      } catch {
        return existsSync(dir);
      }
    });
    if (dirs.length) spawnSync('sleep', ['0.02']);
  }
}

export function rmrf(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Polls `fn` every 25 ms until it returns a value; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 20000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
