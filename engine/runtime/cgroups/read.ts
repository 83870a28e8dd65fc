// Reads statistics and limit files of a located cgroup (see index.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, wharfError } from '../../errors.js';
import type { BlkioEntry, CgroupLimitFile, CgroupLocation, CgroupStats } from './index.js';
import { parseBlkioV1, parseFlatKeyed, parseLimit, parseNestedKeyed, parseNumber } from './parse.js';

/** A file's content, or undefined when the file (or the controller) is absent. */
async function readOptional(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENODEV') || isErrno(err, 'EOPNOTSUPP')) return undefined;
    throw err;
  }
}

function v1File(loc: Extract<CgroupLocation, { version: 'v1' }>, controller: string, file: string) {
  const dir = loc.dirs[controller];
  return dir === undefined ? undefined : join(dir, file);
}

async function assertExists(dirs: (string | undefined)[]): Promise<void> {
  for (const dir of dirs) {
    if (dir !== undefined && (await readOptional(join(dir, 'cgroup.procs'))) !== undefined) return;
  }
  throw wharfError('CGROUP_NOT_FOUND', dirs.filter(Boolean).join(', ') || 'no hierarchy');
}

async function readV1(loc: Extract<CgroupLocation, { version: 'v1' }>): Promise<CgroupStats> {
  await assertExists(Object.values(loc.dirs));
  const r = (c: string, f: string) => readOptional(v1File(loc, c, f));
  const [
    usage,
    user,
    sys,
    cpuStat,
    memUsage,
    memLimit,
    memMax,
    memStat,
    oomControl,
    pidsCur,
    pidsMax,
    blkio,
  ] = await Promise.all([
    r('cpuacct', 'cpuacct.usage'),
    r('cpuacct', 'cpuacct.usage_user'),
    r('cpuacct', 'cpuacct.usage_sys'),
    r('cpu', 'cpu.stat'),
    r('memory', 'memory.usage_in_bytes'),
    r('memory', 'memory.limit_in_bytes'),
    r('memory', 'memory.max_usage_in_bytes'),
    r('memory', 'memory.stat'),
    r('memory', 'memory.oom_control'),
    r('pids', 'pids.current'),
    r('pids', 'pids.max'),
    r('blkio', 'blkio.throttle.io_service_bytes'),
  ]);
  const cpu = parseFlatKeyed(cpuStat);
  return {
    version: 'v1',
    cpu: {
      totalUsageNs: parseNumber(usage),
      userNs: parseNumber(user),
      systemNs: parseNumber(sys),
      throttling: {
        periods: cpu.nr_periods ?? 0,
        throttledPeriods: cpu.nr_throttled ?? 0,
        throttledTimeNs: cpu.throttled_time ?? 0,
      },
    },
    memory: {
      usage: parseNumber(memUsage),
      limit: memLimit === undefined ? null : parseLimit(memLimit),
      ...(memMax === undefined ? {} : { maxUsage: parseNumber(memMax) }),
      stats: parseFlatKeyed(memStat),
    },
    pids: { current: parseNumber(pidsCur), limit: pidsMax === undefined ? null : parseLimit(pidsMax) },
    blkio: { ioServiceBytes: parseBlkioV1(blkio) },
    oomKills: parseFlatKeyed(oomControl).oom_kill ?? 0,
  };
}

async function readV2(loc: Extract<CgroupLocation, { version: 'v2' }>): Promise<CgroupStats> {
  await assertExists([loc.dir]);
  const r = (f: string) => readOptional(join(loc.dir, f));
  const [cpuStat, memCur, memMax, memPeak, memStat, memEvents, pidsCur, pidsMax, ioStat] = await Promise.all([
    r('cpu.stat'),
    r('memory.current'),
    r('memory.max'),
    r('memory.peak'),
    r('memory.stat'),
    r('memory.events'),
    r('pids.current'),
    r('pids.max'),
    r('io.stat'),
  ]);
  const cpu = parseFlatKeyed(cpuStat);
  const io: BlkioEntry[] = [];
  for (const d of parseNestedKeyed(ioStat)) {
    io.push({ major: d.major, minor: d.minor, op: 'read', value: d.values.rbytes ?? 0 });
    io.push({ major: d.major, minor: d.minor, op: 'write', value: d.values.wbytes ?? 0 });
  }
  return {
    version: 'v2',
    cpu: {
      totalUsageNs: (cpu.usage_usec ?? 0) * 1000,
      userNs: (cpu.user_usec ?? 0) * 1000,
      systemNs: (cpu.system_usec ?? 0) * 1000,
      throttling: {
        periods: cpu.nr_periods ?? 0,
        throttledPeriods: cpu.nr_throttled ?? 0,
        throttledTimeNs: (cpu.throttled_usec ?? 0) * 1000,
      },
    },
    memory: {
      usage: parseNumber(memCur),
      limit: memMax === undefined ? null : parseLimit(memMax),
      ...(memPeak === undefined ? {} : { maxUsage: parseNumber(memPeak) }),
      stats: parseFlatKeyed(memStat),
    },
    pids: { current: parseNumber(pidsCur), limit: pidsMax === undefined ? null : parseLimit(pidsMax) },
    blkio: { ioServiceBytes: io },
    oomKills: parseFlatKeyed(memEvents).oom_kill ?? 0,
  };
}

/** CPU, memory, pids, block I/O and OOM counters of the cgroup right now. */
export async function readCgroupStats(loc: CgroupLocation): Promise<CgroupStats> {
  return loc.version === 'v2' ? readV2(loc) : readV1(loc);
}

const V1_LIMITS: [string, string][] = [
  ['memory', 'memory.limit_in_bytes'],
  ['memory', 'memory.memsw.limit_in_bytes'],
  ['memory', 'memory.soft_limit_in_bytes'],
  ['memory', 'memory.swappiness'],
  ['cpu', 'cpu.shares'],
  ['cpu', 'cpu.cfs_quota_us'],
  ['cpu', 'cpu.cfs_period_us'],
  ['cpuset', 'cpuset.cpus'],
  ['cpuset', 'cpuset.mems'],
  ['pids', 'pids.max'],
  ['blkio', 'blkio.weight'],
  ['blkio', 'blkio.bfq.weight'],
  ['blkio', 'blkio.throttle.read_bps_device'],
  ['blkio', 'blkio.throttle.write_bps_device'],
  ['blkio', 'blkio.throttle.read_iops_device'],
  ['blkio', 'blkio.throttle.write_iops_device'],
  ['devices', 'devices.list'],
  ['freezer', 'freezer.state'],
];

const V2_LIMITS = [
  'memory.max',
  'memory.high',
  'memory.low',
  'memory.swap.max',
  'cpu.weight',
  'cpu.max',
  'cpuset.cpus',
  'cpuset.mems',
  'pids.max',
  'io.weight',
  'io.bfq.weight',
  'io.max',
  'cgroup.freeze',
];

/**
 * The limit files the runtime writes, with their live values. Files that do
 * not exist (controller absent or not enabled) are left out.
 */
export async function listCgroupLimits(loc: CgroupLocation): Promise<CgroupLimitFile[]> {
  const wanted: { controller: string; file: string; path: string }[] =
    loc.version === 'v2'
      ? V2_LIMITS.map((file) => ({ controller: file.split('.')[0] ?? file, file, path: join(loc.dir, file) }))
      : V1_LIMITS.flatMap(([controller, file]) => {
          const path = v1File(loc, controller, file);
          return path === undefined ? [] : [{ controller, file, path }];
        });
  await assertExists(loc.version === 'v2' ? [loc.dir] : Object.values(loc.dirs));
  const values = await Promise.all(wanted.map((w) => readOptional(w.path)));
  const out: CgroupLimitFile[] = [];
  wanted.forEach((w, i) => {
    const v = values[i];
    if (v !== undefined) out.push({ ...w, value: v.trim() });
  });
  return out;
}
