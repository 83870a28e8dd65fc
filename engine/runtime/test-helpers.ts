// Shared fixture for the runtime's kernel tests: temp data and exec roots, a
// busybox lower layer, an engine instance, and a leak check that every test
// file ends with (no mounts, cgroups, shims or container processes left).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { isRoot, haveBusybox, makeBusyboxRootfs } from '../testing/busybox.js';
import { ContainerRuntime, DEFAULT_NATIVE_DIR } from './container-runtime.js';
import { existingCgroupDirs } from './cgroup-cleanup.js';
import { readLogText } from './json-log.js';
import type { ContainerConfig, CreateContainerInput, HostConfig } from './types.js';

export const SHIM = process.env.WHARF_TEST_SHIM ?? join(DEFAULT_NATIVE_DIR, 'wharf-shim');

function works(binary: string, args: string[]): boolean {
  if (!existsSync(binary)) return false;
  const r = spawnSync(binary, args, { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && !/not built yet/.test(`${r.stdout}${r.stderr}`);
}

/**
 * The OCI runtime under test: $WHARF_TEST_RUNTIME, else wharf-runtime once it
 * is built, else Debian's runc (the runtime tests pass against both).
 */
export function pickRuntime(): string {
  if (process.env.WHARF_TEST_RUNTIME) return process.env.WHARF_TEST_RUNTIME;
  const native = join(DEFAULT_NATIVE_DIR, 'wharf-runtime');
  const root = mkdtempSync(join(tmpdir(), 'wharf-rt-probe-'));
  try {
    if (works(native, ['--root', root, 'list'])) return native;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return '/usr/sbin/runc';
}

/** Why the kernel tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (!isRoot()) return 'needs root (namespaces, cgroups, overlay mounts)';
  if (!haveBusybox()) return 'needs /bin/busybox (apt-get install busybox-static)';
  if (!existsSync(SHIM) || /not built yet/.test(spawnSync(SHIM, [], { encoding: 'utf8' }).stderr ?? '')) {
    return `needs ${SHIM} (npm run build:native)`;
  }
  return undefined;
}

export function uniqueId(prefix = 'wt'): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Host pid is alive (and not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

export interface Fixture {
  dir: string;
  dataRoot: string;
  execRoot: string;
  lower: string;
  runtimePath: string;
  rt: ContainerRuntime;
  /** Every container id this file created, for the leak check. */
  ids: Set<string>;
  /** Container and shim pids seen, for the leak check. */
  pids: Set<number>;
  open(): Promise<ContainerRuntime>;
  create(
    config: ContainerConfig,
    hostConfig?: HostConfig,
    extra?: Partial<CreateContainerInput>,
  ): Promise<string>;
  /** create + start + wait; returns exit status and log text. */
  run(
    config: ContainerConfig,
    hostConfig?: HostConfig,
  ): Promise<{ id: string; exitCode: number; oomKilled: boolean; stdout: string; stderr: string }>;
  /** Removes every container, disposes the engine, unmounts and deletes the temp dir. */
  cleanup(): Promise<void>;
}

export async function makeFixture(name: string): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), `wharf-${name}-`));
  const lower = makeBusyboxRootfs(join(dir, 'lower'));
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'exec');
  const runtimePath = pickRuntime();
  const ids = new Set<string>();
  const pids = new Set<number>();
  const open = (): Promise<ContainerRuntime> =>
    ContainerRuntime.open({ paths: { dataRoot, execRoot }, runtimePath, shimPath: SHIM });
  const fx: Fixture = {
    dir,
    dataRoot,
    execRoot,
    lower,
    runtimePath,
    rt: await open(),
    ids,
    pids,
    open,
    async create(config, hostConfig, extra) {
      const id = extra?.id ?? uniqueId(name);
      ids.add(id);
      const rec = await fx.rt.create({ id, config, hostConfig, rootfs: { layers: [lower] }, ...extra });
      pids.add(rec.state.pid);
      const shim = Number.parseInt(readFileSync(join(fx.rt.stateDir(id), 'shim.pid'), 'utf8'), 10);
      if (shim > 0) pids.add(shim);
      return id;
    },
    async run(config, hostConfig) {
      const id = await fx.create(config, hostConfig);
      await fx.rt.start(id);
      const status = await fx.rt.wait(id);
      const logs = await readLogText(fx.rt.inspect(id).logPath);
      return { id, exitCode: status.exitCode, oomKilled: status.oomKilled, ...logs };
    },
    async cleanup() {
      for (const rec of fx.rt.list()) await fx.rt.remove(rec.id, { force: true }).catch(() => {});
      await fx.rt[Symbol.asyncDispose]();
      for (const m of mountsUnder(dir).reverse()) spawnSync('umount', ['-l', m]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fx;
}

/**
 * Makes a fixture for the enclosing describe() (call it in the describe
 * body): `set` receives it once made; it is cleaned up after the tests.
 */
export function useFixture(name: string, set: (fx: Fixture) => void): void {
  let fx: Fixture | undefined;
  before(async () => {
    fx = await makeFixture(name);
    set(fx);
  });
  after(async () => {
    await fx?.cleanup();
  });
}

export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** What a finished test file must not leave behind. Returns a list of problems (empty = clean). */
export async function leaks(fx: Fixture, cgroupParent = '/wharf'): Promise<string[]> {
  const problems: string[] = [];
  for (const m of mountsUnder(fx.dir)) problems.push(`mount ${m}`);
  for (const id of fx.ids) {
    for (const d of await existingCgroupDirs(`${cgroupParent}/${id}`)) problems.push(`cgroup ${d}`);
  }
  for (const pid of fx.pids) if (pid > 0 && alive(pid)) problems.push(`process ${pid}`);
  // Namespaces live as long as a process or a bind mount holds them; no
  // process and no nsfs mount under the test dir means none are left.
  const nsMounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(' nsfs ') && l.includes(fx.dir));
  for (const l of nsMounts) problems.push(`namespace mount ${l}`);
  const runtimeRoot = join(fx.execRoot, 'runtime');
  if (existsSync(runtimeRoot)) {
    const out = execFileSync(fx.runtimePath, ['--root', runtimeRoot, 'list', '--format', 'json'], {
      encoding: 'utf8',
    }).trim();
    const list = out && out !== 'null' ? (JSON.parse(out) as Array<{ id: string }>) : [];
    for (const c of list) if (fx.ids.has(c.id)) problems.push(`runtime state for ${c.id}`);
  }
  return problems;
}
