// Test fixture: an OCI bundle (busybox rootfs + a config.json laid out the
// way `runc spec` writes it) for the wharf-runtime tests, plus small
// helpers to drive a runtime binary against it.
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
import { makeBusyboxRootfs } from '../../engine/testing/busybox.js';

export const WHARF_RUNTIME = resolve(import.meta.dirname, '../build/Release/wharf-runtime');

export interface Json {
  [key: string]: unknown;
}

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export function randomId(prefix = 'wt'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** The config `runc spec` writes, non-interactive, running `args`. */
export function defaultConfig(args: string[] = ['true']): Json {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: DEFAULT_CAPS,
        effective: DEFAULT_CAPS,
        permitted: DEFAULT_CAPS,
        ambient: DEFAULT_CAPS,
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
      },
    ],
    linux: {
      cgroupsPath: `/wharf-test/${randomId('cg')}`,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export interface Bundle {
  dir: string;
  rootfs: string;
  config: Json;
  /** Rewrites config.json after changes to `config`. */
  save(): void;
}

/**
 * Writes `<dir>/rootfs` (busybox) and `<dir>/config.json`. `edit` may change
 * the config in place. With `sharedRootfs`, root.path points at that
 * (absolute) rootfs instead, so many bundles can share one.
 */
export function makeBundle(dir: string, edit?: (config: Json) => void, sharedRootfs?: string): Bundle {
  mkdirSync(dir, { recursive: true });
  const rootfs = sharedRootfs ?? join(dir, 'rootfs');
  if (!existsSync(join(rootfs, 'bin/busybox'))) makeBusyboxRootfs(rootfs);
  const config = defaultConfig();
  if (sharedRootfs) (config.root as Json).path = sharedRootfs;
  edit?.(config);
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
  run(args: string[], opts?: { input?: string; timeout?: number }): RunResult;
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
