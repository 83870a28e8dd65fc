// Test and bench helpers for wharf-shim (native/README.md, "wharf-shim"):
// a busybox bundle, a driver that starts the shim the way the engine does
// (sync fd 3, detached), and a client for the attach protocol.
//
// Runtimes: the suites run against wharf-runtime and, when installed, runc
// (the runtime CLI is runc-compatible, so runc tests the tests).
// WHARF_SHIM_TEST_RUNTIMES=path[,path] overrides the list.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { makeBusyboxRootfs } from '../../engine/testing/busybox.js';

const RELEASE = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'Release');
export const SHIM = process.env.WHARF_SHIM ?? join(RELEASE, 'wharf-shim');
export const WHARF_RUNTIME = join(RELEASE, 'wharf-runtime');
export const RUNC = '/usr/sbin/runc';

/** The runtimes the suites run against, each with a reason when unusable. */
export function testRuntimes(): { path: string; skip: string | false }[] {
  const env = process.env.WHARF_SHIM_TEST_RUNTIMES;
  const paths = env ? env.split(',').filter(Boolean) : [WHARF_RUNTIME, ...(existsSync(RUNC) ? [RUNC] : [])];
  return paths.map((path) => ({ path, skip: existsSync(path) ? false : `${path} is not built` }));
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
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

function hasMemsw(): boolean {
  return (
    existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes') || existsSync('/sys/fs/cgroup/memory.max')
  );
}

/** Writes bundle/config.json (close to `runc spec`) and, unless shared, bundle/rootfs. */
export function makeBundle(bundle: string, opts: BundleOptions): void {
  mkdirSync(bundle, { recursive: true });
  if (!opts.sharedRootfs) makeBusyboxRootfs(join(bundle, 'rootfs'));
  const caps = [
    'CAP_AUDIT_WRITE',
    'CAP_KILL',
    'CAP_NET_BIND_SERVICE',
    'CAP_CHOWN',
    'CAP_SETUID',
    'CAP_SETGID',
  ];
  const memory =
    opts.memoryLimit !== undefined
      ? { limit: opts.memoryLimit, ...(hasMemsw() ? { swap: opts.memoryLimit } : {}) }
      : undefined;
  const config = {
    ociVersion: '1.0.2',
    process: {
      terminal: opts.terminal ?? false,
      user: { uid: 0, gid: 0 },
      args: opts.args,
      env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: opts.sharedRootfs ?? 'rootfs', readonly: opts.sharedRootfs !== undefined },
    hostname: 'shim-test',
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
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=200m'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
    ],
    linux: {
      cgroupsPath: opts.cgroupsPath,
      resources: { devices: [{ allow: false, access: 'rwm' }], ...(memory ? { memory } : {}) },
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
}

export interface ExitJson {
  exitCode: number;
  signal: number | null;
  oomKilled: boolean;
  finishedAt: string;
}

export interface ShimStartOptions {
  runtime: string;
  /** Runtime state root; containers of one test share it for exec. */
  runtimeRoot: string;
  id: string;
  bundle: string;
  stateDir: string;
  logPath?: string;
  terminal?: boolean;
  stdin?: boolean;
  execProcess?: string;
}

export function shimArgs(o: ShimStartOptions): string[] {
  const args = ['--id', o.id, '--runtime', o.runtime, '--runtime-root', o.runtimeRoot, '--bundle', o.bundle];
  args.push('--state-dir', o.stateDir, '--sync-fd', '3');
  if (o.logPath) args.push('--log-path', o.logPath);
  if (o.terminal) args.push('--terminal');
  if (o.stdin) args.push('--stdin');
  if (o.execProcess) args.push('--exec-process', o.execProcess);
  return args;
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

export async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 20000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
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
    this.id = uniqueId('shimt');
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
    return new ShimContainer(runtime, { ...opts, cgroupsPath: `/wharf-test/${uniqueId('shim')}` });
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
    const name = uniqueId('exec');
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

/** A client of the attach protocol: 8-byte Docker frame headers both ways. */
export class AttachClient {
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  closed = false;
  private pending: Buffer = Buffer.alloc(0);

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static connect(path: string): Promise<AttachClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new AttachClient(s)));
      s.once('error', reject);
    });
  }

  get stdout(): Buffer {
    return Buffer.concat(this.out);
  }

  get stderr(): Buffer {
    return Buffer.concat(this.err);
  }

  private onData(d: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, d]) : d;
    while (this.pending.length >= 8) {
      const len = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + len) break;
      const payload = this.pending.subarray(8, 8 + len);
      if (this.pending[0] === 1) this.out.push(payload);
      else if (this.pending[0] === 2) this.err.push(payload);
      this.pending = this.pending.subarray(8 + len);
    }
  }

  send(type: number, payload: Buffer = Buffer.alloc(0)): void {
    const hdr = Buffer.alloc(8);
    hdr[0] = type;
    hdr.writeUInt32BE(payload.length, 4);
    this.socket.write(Buffer.concat([hdr, payload]));
  }

  stdin(data: string | Buffer): void {
    this.send(0, Buffer.from(data));
  }

  closeStdin(): void {
    this.send(3);
  }

  resize(rows: number, cols: number): void {
    const p = Buffer.alloc(4);
    p.writeUInt16BE(rows, 0);
    p.writeUInt16BE(cols, 2);
    this.send(4, p);
  }

  waitStdout(pattern: string | RegExp, timeoutMs = 20000): Promise<string> {
    return waitFor(
      `stdout matching ${String(pattern)} (have ${JSON.stringify(this.stdout.toString('utf8').slice(-200))})`,
      () => {
        const s = this.stdout.toString('utf8');
        return (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s)) ? s : undefined;
      },
      timeoutMs,
    );
  }

  waitClosed(timeoutMs = 20000): Promise<true> {
    return waitFor('attach connection to close', () => (this.closed ? true : undefined), timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}
