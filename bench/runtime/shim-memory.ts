// Memory of the per-container monitor: starts N containers running
// `sleep 1000`, each under its own wharf-shim, and reports the shims'
// average RSS, PSS and private memory from /proc/PID/smaps_rollup. When
// conmon is installed (Debian: apt-get install conmon) the same N
// containers run under conmon, one set after the other, for comparison.
// Target: wharf-shim under 0.3 MB PSS per running container.
//
//   tsx bench/runtime/shim-memory.ts [N]     (root; default N = 100)
//   WHARF_BENCH_RUNTIME=/usr/sbin/runc       runtime for both monitors
//                                            (default wharf-runtime, else runc)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRoot, makeBusyboxRootfs } from '../../engine/testing/busybox.js';
import { makeBundle, RUNC, spawnShim, uniqueId, WHARF_RUNTIME } from '../../native/test/shim-harness.js';

interface Mem {
  rssKb: number;
  pssKb: number;
  privateKb: number;
}

export interface ShimMemoryResult {
  containers: number;
  runtime: string;
  wharfShim: Mem;
  conmon?: Mem;
}

function smaps(pid: number): Mem {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
  return {
    rssKb: field('Rss'),
    pssKb: field('Pss'),
    privateKb: field('Private_Clean') + field('Private_Dirty'),
  };
}

function average(ms: Mem[]): Mem {
  const n = ms.length || 1;
  const sum = (k: keyof Mem) => Math.round((ms.reduce((s, m) => s + m[k], 0) / n) * 10) / 10;
  return { rssKb: sum('rssKb'), pssKb: sum('pssKb'), privateKb: sum('privateKb') };
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function pidOf(file: string): number {
  try {
    return Number.parseInt(readFileSync(file, 'utf8'), 10) || 0;
  } catch {
    return 0;
  }
}

function alive(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
  } catch {
    return false;
  }
}

interface Started {
  id: string;
  monitorPid: number;
}

/** One set of N containers under one kind of monitor; cleanup() removes all of it. */
class Fleet {
  readonly started: Started[] = [];
  readonly root: string;

  constructor(
    readonly dir: string,
    readonly runtime: string,
    readonly rootfs: string,
    readonly monitor: 'wharf-shim' | 'conmon',
  ) {
    this.root = join(dir, `${monitor}-runtime-root`);
  }

  private runtimeCmd(...args: string[]) {
    return spawnSync(this.runtime, ['--root', this.root, ...args], { encoding: 'utf8', timeout: 30000 });
  }

  async startOne(conmon: string | undefined): Promise<void> {
    const id = uniqueId(this.monitor === 'conmon' ? 'bcm' : 'bws');
    const base = join(this.dir, id);
    const bundle = join(base, 'bundle');
    const state = join(base, 'state');
    mkdirSync(state, { recursive: true });
    makeBundle(bundle, {
      args: ['sleep', '1000'],
      sharedRootfs: this.rootfs,
      cgroupsPath: `/wharf-bench/${id}`,
    });
    let monitorPid: number;
    if (this.monitor === 'wharf-shim') {
      const r = await spawnShim({
        runtime: this.runtime,
        runtimeRoot: this.root,
        id,
        bundle,
        stateDir: state,
        logPath: join(state, 'ctr.log'),
      });
      monitorPid = pidOf(join(state, 'shim.pid'));
      this.started.push({ id, monitorPid });
      if (r.error) throw new Error(`wharf-shim: ${r.error}`);
    } else {
      mkdirSync(join(state, 'exits'));
      mkdirSync(join(state, 'sock'));
      const r = spawnSync(
        conmon ?? 'conmon',
        [
          '--api-version',
          '1',
          '-c',
          id,
          '-u',
          id,
          '-n',
          id,
          '-r',
          this.runtime,
          '-b',
          bundle,
          '-p',
          join(state, 'container.pid'),
          '-P',
          join(state, 'conmon.pid'),
          '-l',
          `k8s-file:${join(state, 'ctr.log')}`,
          '--exit-dir',
          join(state, 'exits'),
          '--socket-dir-path',
          join(state, 'sock'),
          `--runtime-arg=--root=${this.root}`,
          '--log-level',
          'error',
        ],
        { encoding: 'utf8', timeout: 30000 },
      );
      if (r.status !== 0) throw new Error(`conmon: ${r.stderr}`);
      // conmon's first process returns before the runtime has created the
      // container; the container pid file marks the end of create.
      const end = Date.now() + 30000;
      while (!pidOf(join(state, 'container.pid')) && Date.now() < end) await sleep(10);
      monitorPid = pidOf(join(state, 'conmon.pid'));
      this.started.push({ id, monitorPid });
    }
    const s = this.runtimeCmd('start', id);
    if (s.status !== 0) throw new Error(`runtime start ${id}: ${s.stderr}`);
  }

  measure(): Mem {
    return average(
      this.started.filter((s) => alive(s.monitorPid, this.monitor)).map((s) => smaps(s.monitorPid)),
    );
  }

  async cleanup(): Promise<void> {
    for (const s of this.started) this.runtimeCmd('delete', '--force', s.id);
    // Monitors exit once their container is gone; kill only ours that linger.
    const end = Date.now() + 10000;
    while (Date.now() < end && this.started.some((s) => alive(s.monitorPid, this.monitor))) await sleep(50);
    for (const s of this.started) {
      if (s.monitorPid > 0 && alive(s.monitorPid, this.monitor)) process.kill(s.monitorPid, 'SIGKILL');
    }
  }
}

export async function benchShimMemory(n = 100): Promise<ShimMemoryResult> {
  const runtime = process.env.WHARF_BENCH_RUNTIME ?? (existsSync(WHARF_RUNTIME) ? WHARF_RUNTIME : RUNC);
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-shim-'));
  const rootfs = makeBusyboxRootfs(join(dir, 'rootfs'));
  const conmon = which('conmon');
  const result: ShimMemoryResult = {
    containers: n,
    runtime,
    wharfShim: { rssKb: 0, pssKb: 0, privateKb: 0 },
  };
  const fleets: Fleet[] = [];
  const onSignal = () => void Promise.all(fleets.map((f) => f.cleanup())).finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  try {
    const kinds: ('wharf-shim' | 'conmon')[] = conmon ? ['wharf-shim', 'conmon'] : ['wharf-shim'];
    for (const kind of kinds) {
      const fleet = new Fleet(dir, runtime, rootfs, kind);
      fleets.push(fleet);
      try {
        for (let i = 0; i < n; i++) await fleet.startOne(conmon);
        await sleep(1000); // let every monitor settle into its loop
        const mem = fleet.measure();
        if (kind === 'wharf-shim') result.wharfShim = mem;
        else result.conmon = mem;
      } finally {
        await fleet.cleanup();
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    rmSync(dir, { recursive: true, force: true });
    // The runtime removes each container's cgroup; drop the bench's parent.
    for (const ctl of [
      '',
      'memory',
      'cpu',
      'cpuacct',
      'cpuset',
      'pids',
      'blkio',
      'devices',
      'freezer',
      'systemd',
      'unified',
    ]) {
      try {
        rmdirSync(join('/sys/fs/cgroup', ctl, 'wharf-bench'));
      } catch {
        // not there, or still in use by another run
      }
    }
  }
  return result;
}

const isMain =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''));
if (isMain) {
  if (!isRoot()) {
    console.log('skipping: needs root (namespaces, cgroups)');
    process.exit(0);
  }
  const n = Number.parseInt(process.argv[2] ?? '100', 10);
  const r = await benchShimMemory(n);
  const row = (name: string, m: Mem) =>
    `${name.padEnd(11)} RSS ${(m.rssKb / 1024).toFixed(3)} MB  PSS ${(m.pssKb / 1024).toFixed(3)} MB  private ${(m.privateKb / 1024).toFixed(3)} MB`;
  console.log(`monitor memory, average over ${r.containers} running containers (runtime ${r.runtime})`);
  console.log(row('wharf-shim', r.wharfShim));
  console.log(
    r.conmon ? row('conmon', r.conmon) : 'conmon      not installed (apt-get install conmon to compare)',
  );
}
