// top (ps inside the container: the pids of its cgroup, read from /proc) and
// stats (Docker's JSON from the cgroup counters; stream or one-shot with
// precpu filled).
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ContainerRecord } from '../runtime/index.js';
import { locateCgroupByPath, type CgroupStats } from '../runtime/cgroups/index.js';
import { badRequest, conflict } from './errors.js';
import type { Engine } from './engine.js';
import type { RequestCtx } from './http.js';
import { queryBool } from './query.js';
import type { Router } from './router.js';

const HZ = 100;

function running(rec: ContainerRecord): boolean {
  return rec.state.status === 'running' || rec.state.status === 'paused';
}

async function cgroupPids(e: Engine, id: string): Promise<number[]> {
  const loc = await locateCgroupByPath(e.runtime.cgroupsPath(id));
  const dir =
    loc.version === 'v2'
      ? loc.dir
      : (loc.dirs.pids ?? loc.dirs.memory ?? loc.dirs.cpu ?? Object.values(loc.dirs)[0]);
  if (!dir) return [];
  const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
}

async function bootTime(): Promise<number> {
  const stat = await readFile('/proc/stat', 'utf8');
  return Number(/^btime (\d+)/m.exec(stat)?.[1] ?? 0);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function ttyName(nr: number): string {
  if (nr === 0) return '?';
  const major = (nr >> 8) & 0xfff;
  const minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
  if (major === 136) return `pts/${minor}`;
  if (major === 4) return `tty${minor}`;
  return '?';
}

async function processRow(
  pid: number,
  btime: number,
  users: Map<number, string>,
): Promise<string[] | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    // f[0] = state (field 3); field n is f[n - 3]
    const ppid = Number(f[1]);
    const ttyNr = Number(f[4]);
    const utime = Number(f[11]);
    const stime = Number(f[12]);
    const start = Number(f[19]);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const startedAt = btime + start / HZ;
    const elapsed = Math.max(1, Date.now() / 1000 - startedAt);
    const cpuSec = (utime + stime) / HZ;
    const d = new Date(startedAt * 1000);
    const cmd = cmdline ? cmdline.replace(/\0+$/, '').split('\0').join(' ') : `[${comm}]`;
    const t = Math.floor(cpuSec);
    return [
      users.get(uid) ?? String(uid),
      String(pid),
      String(ppid),
      String(Math.floor((cpuSec / elapsed) * 100)),
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}`,
      ttyName(ttyNr),
      `${pad2(Math.floor(t / 3600))}:${pad2(Math.floor(t / 60) % 60)}:${pad2(t % 60)}`,
      cmd,
    ];
  } catch {
    return undefined; // exited meanwhile
  }
}

async function hostUsers(): Promise<Map<number, string>> {
  const m = new Map<number, string>();
  const text = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const l of text.split('\n')) {
    const [name, , uid] = l.split(':');
    if (name && uid && !m.has(Number(uid))) m.set(Number(uid), name);
  }
  return m;
}

async function top(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const psArgs = ctx.query.get('ps_args') ?? '';
  if (psArgs && !/^-?e?f?$/.test(psArgs.replace(/\s+/g, ''))) {
    throw badRequest(
      `ps_args ${psArgs} is not supported: wharf reads /proc itself and shows ps -ef's columns`,
    );
  }
  if (!running(rec)) throw conflict(`Container ${rec.id} is not running`);
  const [pids, btime, users] = await Promise.all([cgroupPids(e, rec.id), bootTime(), hostUsers()]);
  const rows = (await Promise.all(pids.map((p) => processRow(p, btime, users)))).filter(
    (r) => r !== undefined,
  );
  ctx.reply.json(200, {
    Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
    Processes: rows,
  });
}

async function systemCpuNs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const ticks = line
    .split(/\s+/)
    .slice(1, 8)
    .reduce((a, b) => a + Number(b || 0), 0);
  return (ticks * 1e9) / HZ;
}

interface Sample {
  read: string;
  cg: CgroupStats | undefined;
  system: number;
}

async function sample(e: Engine, id: string): Promise<Sample> {
  const [cg, system] = await Promise.all([e.runtime.stats(id).catch(() => undefined), systemCpuNs()]);
  return { read: new Date().toISOString(), cg, system };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpuJson(s: Sample | undefined): Record<string, unknown> {
  const c = s?.cg?.cpu;
  return {
    cpu_usage: {
      total_usage: c?.totalUsageNs ?? 0,
      usage_in_kernelmode: c?.systemNs ?? 0,
      usage_in_usermode: c?.userNs ?? 0,
    },
    system_cpu_usage: s?.system ?? 0,
    online_cpus: s ? cpus().length : 0,
    throttling_data: {
      periods: c?.throttling.periods ?? 0,
      throttled_periods: c?.throttling.throttledPeriods ?? 0,
      throttled_time: c?.throttling.throttledTimeNs ?? 0,
    },
  };
}

function statsJson(
  e: Engine,
  rec: ContainerRecord,
  cur: Sample,
  pre: Sample | undefined,
): Record<string, unknown> {
  const cg = cur.cg;
  const blkio = (cg?.blkio.ioServiceBytes ?? []).map((b) => ({
    major: b.major,
    minor: b.minor,
    op: cg?.version === 'v1' ? (b.op === 'read' ? 'Read' : 'Write') : b.op,
    value: b.value,
  }));
  return {
    read: cur.cg ? cur.read : ZERO_TIME,
    preread: pre?.cg ? pre.read : ZERO_TIME,
    pids_stats: cg
      ? { current: cg.pids.current, ...(cg.pids.limit !== null ? { limit: cg.pids.limit } : {}) }
      : {},
    blkio_stats: {
      io_service_bytes_recursive: cg ? blkio : null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuJson(cg ? cur : undefined),
    precpu_stats: cpuJson(pre?.cg ? pre : undefined),
    memory_stats: cg
      ? {
          usage: cg.memory.usage,
          ...(cg.memory.maxUsage !== undefined ? { max_usage: cg.memory.maxUsage } : {}),
          stats: cg.memory.stats,
          limit: cg.memory.limit ?? totalmem(),
        }
      : {},
    name: `/${e.nameOf(rec)}`,
    id: rec.id,
  };
}

async function stats(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const stream = queryBool(ctx.query, 'stream', true);
  const oneShot = queryBool(ctx.query, 'one-shot');
  if (oneShot && stream) throw badRequest('cannot have stream=true and one-shot=true');
  const out = ctx.reply.stream(200, 'application/json');
  const write = (o: unknown): void => {
    out.write(JSON.stringify(o) + '\n');
  };
  if (!running(rec)) {
    write(statsJson(e, rec, { read: ZERO_TIME, cg: undefined, system: 0 }, undefined));
    out.end();
    return;
  }
  let pre = oneShot ? undefined : await sample(e, rec.id);
  if (!stream) {
    if (!oneShot) await new Promise((r) => setTimeout(r, 1000));
    write(statsJson(e, rec, await sample(e, rec.id), pre));
    out.end();
    return;
  }
  while (!ctx.signal.aborted) {
    const cur = await sample(e, rec.id);
    write(statsJson(e, rec, cur, pre));
    if (!cur.cg) break; // stopped
    pre = cur;
    await new Promise((r) => setTimeout(r, 1000));
  }
  out.end();
}

export function containerStatsRoutes(r: Router, e: Engine): void {
  r.add('GET', '/containers/{id}/top', (c) => top(e, c));
  r.add('GET', '/containers/{id}/stats', (c) => stats(e, c));
}
