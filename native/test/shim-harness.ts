// Test and bench helpers for wharf-shim (native/README.md, "wharf-shim"):
// a busybox bundle, a driver that starts the shim the way the engine does
// (sync fd 3, detached), and a client for the attach protocol.
//
// Runtimes: the suites run against wharf-runtime and, when installed, runc
// (the runtime CLI is runc-compatible, so runc tests the tests).
// WHARF_SHIM_TEST_RUNTIMES=path[,path] overrides the list.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isRoot } from '../../engine/testing/busybox.js';
import { shimArgs as engineShimArgs, type ShimOptions } from '../../engine/runtime/shim-client.js';
import { type Json, NATIVE_BUILD, WHARF_RUNTIME, randomId, waitFor, writeBundle } from './bundle.js';
import { AttachClient } from './shim-attach-client.js';

export { WHARF_RUNTIME, waitFor, randomId as uniqueId };
export const SHIM = process.env.WHARF_SHIM ?? join(NATIVE_BUILD, 'wharf-shim');
export const RUNC = '/usr/sbin/runc';

export interface TestRuntime {
  path: string;
  skip: string | false;
}

/**
 * The runtimes the suites run against, each with a reason when unusable.
 * With `suite`, the reasons (and a missing root) are printed and folded in.
 */
export function testRuntimes(suite?: string): TestRuntime[] {
  const env = process.env.WHARF_SHIM_TEST_RUNTIMES;
  const paths = env ? env.split(',').filter(Boolean) : [WHARF_RUNTIME, ...(existsSync(RUNC) ? [RUNC] : [])];
  const runtimes = paths.map((path): TestRuntime => ({
    path,
    skip: existsSync(path) ? false : `${path} is not built`,
  }));
  if (suite === undefined) return runtimes;
  const rootSkip: string | false = isRoot() ? false : 'needs root (namespaces, cgroups)';
  if (rootSkip) console.log(`# skipping ${suite} tests: ${rootSkip}`);
  for (const rt of runtimes)
    if (rt.skip) console.log(`# skipping ${suite} tests with ${rt.path}: ${rt.skip}`);
  return runtimes.map((rt) => ({ ...rt, skip: rootSkip || rt.skip }));
}

export interface BundleOptions {
  args: string[];
  terminal?: boolean;
  /** Bytes; sets memory limit and memory+swap to the same value. */
  memoryLimit?: number;
  /** Use this rootfs (absolute, shared, read-only) instead of making one. */
  sharedRootfs?: string;
  cgroupsPath: string;
}

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN', 'CAP_SETUID', 'CAP_SETGID'];

function hasMemsw(): boolean {
  return (
    existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes') || existsSync('/sys/fs/cgroup/memory.max')
  );
}

/** Writes bundle/config.json (close to `runc spec`, plus a /tmp tmpfs) and, unless shared, bundle/rootfs. */
export function makeBundle(bundle: string, opts: BundleOptions): void {
  const memory =
    opts.memoryLimit !== undefined
      ? { limit: opts.memoryLimit, ...(hasMemsw() ? { swap: opts.memoryLimit } : {}) }
      : undefined;
  writeBundle(bundle, {
    args: opts.args,
    terminal: opts.terminal,
    caps: CAPS,
    hostname: 'shim-test',
    cgroupsPath: opts.cgroupsPath,
    resources: { devices: [{ allow: false, access: 'rwm' }], ...(memory ? { memory } : {}) },
    shmSize: 200 * 1024 * 1024,
    sharedRootfs: opts.sharedRootfs,
    readonlyRoot: opts.sharedRootfs !== undefined,
    edit: (c) =>
      (c.mounts as Json[]).push({
        destination: '/tmp',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'mode=1777'],
      }),
  });
}

export interface ExitJson {
  exitCode: number;
  signal: number | null;
  oomKilled: boolean;
  finishedAt: string;
}

/** The engine's shim options, with the runtime under a shorter name. */
export interface ShimStartOptions extends Omit<ShimOptions, 'shimPath' | 'runtimePath'> {
  runtime: string;
}

export function shimArgs({ runtime, ...o }: ShimStartOptions): string[] {
  return engineShimArgs({ ...o, runtimePath: runtime });
}

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Starts the shim like the engine does; resolves with its sync line (parsed). */
export async function spawnShim(
  o: ShimStartOptions,
): Promise<{ pid?: number; error?: string; starter: number }> {
  const child = spawn(SHIM, shimArgs(o), { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], detached: true });
  const stderr = readAll(child.stderr as Readable);
  const line = await readAll(child.stdio[3] as Readable);
  const code = await new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (c) => resolve(c));
  });
  if (!line.trim()) throw new Error(`no sync line from wharf-shim (exit ${code}): ${await stderr}`);
  return { ...(JSON.parse(line) as { pid?: number; error?: string }), starter: child.pid ?? 0 };
}

export function procStatusField(pid: number, field: string): string | undefined {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s*(.*)$`, 'm'));
    return m?.[1];
  } catch {
    return undefined;
  }
}

/** True when pid is alive and runs wharf-shim for container id (guards against pid reuse). */
export function isOurShim(pid: number, id: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = argv.indexOf('--id');
    return (argv[0] ?? '').endsWith('wharf-shim') && argv[i + 1] === id;
  } catch {
    return false;
  }
}

/** One container (or exec) under a shim, in its own temp dir; dispose() removes everything. */
export class ShimContainer {
  readonly id: string;
  readonly dir: string;
  readonly bundle: string;
  readonly stateDir: string;
  readonly runtimeRoot: string;
  readonly logPath: string;
  pid = 0;
  private shimPids: number[] = [];
  private readonly tmpDirs: string[] = [];

  constructor(
    readonly runtime: string,
    bundle: BundleOptions | { bundle: string },
    opts: { runtimeRoot?: string; dir?: string } = {},
  ) {
    this.id = randomId('shimt');
    this.dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'wharf-shim-test-'));
    if (!opts.dir) this.tmpDirs.push(this.dir);
    this.stateDir = join(this.dir, 'state');
    this.runtimeRoot = opts.runtimeRoot ?? join(this.dir, 'runtime-root');
    this.logPath = join(this.dir, 'ctr.log');
    if ('bundle' in bundle) this.bundle = bundle.bundle;
    else {
      this.bundle = join(this.dir, 'bundle');
      makeBundle(this.bundle, bundle);
    }
  }

  static forBundle(runtime: string, opts: Omit<BundleOptions, 'cgroupsPath'>): ShimContainer {
    return new ShimContainer(runtime, { ...opts, cgroupsPath: `/wharf-test/${randomId('shim')}` });
  }

  /** Starts the shim (runtime create); sets pid. Throws with the runtime's error. */
  async create(o: { terminal?: boolean; stdin?: boolean; log?: boolean } = {}): Promise<number> {
    const r = await spawnShim({
      runtime: this.runtime,
      runtimeRoot: this.runtimeRoot,
      id: this.id,
      bundle: this.bundle,
      stateDir: this.stateDir,
      logPath: o.log === false ? undefined : this.logPath,
      terminal: o.terminal,
      stdin: o.stdin,
    });
    this.recordShim();
    if (r.error !== undefined) throw new Error(r.error);
    this.pid = r.pid ?? 0;
    return this.pid;
  }

  /** Starts an exec shim for process.json args in this (running) container. */
  async exec(
    args: string[],
    o: { terminal?: boolean; stdin?: boolean } = {},
  ): Promise<{ pid: number; stateDir: string; shimPid: number }> {
    const name = randomId('exec');
    const stateDir = join(this.dir, name);
    const processFile = join(this.dir, `${name}.json`);
    const proc = {
      terminal: o.terminal ?? false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
    };
    writeFileSync(processFile, JSON.stringify(proc));
    const r = await spawnShim({
      runtime: this.runtime,
      runtimeRoot: this.runtimeRoot,
      id: this.id,
      bundle: this.bundle,
      stateDir,
      terminal: o.terminal,
      stdin: o.stdin,
      execProcess: processFile,
    });
    const shimPid = this.recordShim(stateDir);
    if (r.error !== undefined) throw new Error(r.error);
    return { pid: r.pid ?? 0, stateDir, shimPid };
  }

  /** Remembers the shim's pid from shim.pid, for cleanup. */
  recordShim(stateDir = this.stateDir): number {
    try {
      const pid = Number.parseInt(readFileSync(join(stateDir, 'shim.pid'), 'utf8'), 10);
      if (pid > 0) this.shimPids.push(pid);
      return pid;
    } catch {
      return 0;
    }
  }

  get shimPid(): number {
    return this.shimPids[0] ?? 0;
  }

  runtimeCmd(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(this.runtime, ['--root', this.runtimeRoot, ...args], {
      encoding: 'utf8',
      timeout: 30000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  start(): void {
    const r = this.runtimeCmd('start', this.id);
    if (r.status !== 0) throw new Error(`runtime start: ${r.stderr}`);
  }

  kill(signal = 'KILL'): void {
    this.runtimeCmd('kill', this.id, signal);
  }

  exitJson(stateDir = this.stateDir): ExitJson | undefined {
    try {
      return JSON.parse(readFileSync(join(stateDir, 'exit.json'), 'utf8')) as ExitJson;
    } catch {
      return undefined;
    }
  }

  waitExit(stateDir = this.stateDir, timeoutMs = 20000): Promise<ExitJson> {
    return waitFor('exit.json', () => this.exitJson(stateDir), timeoutMs);
  }

  /** Waits for a shim to exit (it does once exit.json is out and clients are flushed). */
  waitShimGone(pid = this.shimPid, timeoutMs = 10000): Promise<true> {
    return waitFor('shim exit', () => (isOurShim(pid, this.id) ? undefined : true), timeoutMs);
  }

  logRecords(): { log: string; stream: string; time: string }[] {
    if (!existsSync(this.logPath)) return [];
    return readFileSync(this.logPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
  }

  attach(stateDir = this.stateDir): Promise<AttachClient> {
    return AttachClient.connect(join(stateDir, 'attach.sock'));
  }

  async dispose(): Promise<void> {
    this.runtimeCmd('delete', '--force', this.id);
    for (const pid of this.shimPids) {
      // The shim exits by itself once the container is gone; kill only a
      // shim we started that is still around after that.
      try {
        await this.waitShimGone(pid, 5000);
      } catch {
        if (isOurShim(pid, this.id)) process.kill(pid, 'SIGKILL');
      }
    }
    for (const d of this.tmpDirs) rmSync(d, { recursive: true, force: true });
  }
}
