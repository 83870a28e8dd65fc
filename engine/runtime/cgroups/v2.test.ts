// cgroup v2 readers on a temporary tree laid out like a real cgroup2 mount
// (same file names and formats as Documentation/admin-guide/cgroup-v2.rst).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  detectCgroupVersion,
  listCgroupLimits,
  locateCgroupByPath,
  locateCgroupByPid,
  readCgroupStats,
} from './index.js';
import { isWharfError } from '../../errors.js';

async function fakeTree(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await mkdtemp(join(tmpdir(), 'wharf-cg2-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeFile(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  const dir = join(root, 'wharf', 'c1');
  await mkdir(dir, { recursive: true });
  const files: Record<string, string> = {
    'cgroup.procs': '42\n',
    'cgroup.freeze': '0\n',
    'cpu.stat':
      'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 3\nthrottled_usec 250\n',
    'cpu.weight': '100\n',
    'cpu.max': '10000 100000\n',
    'memory.current': '4096000\n',
    'memory.max': '67108864\n',
    'memory.peak': '5000000\n',
    'memory.low': '0\n',
    'memory.swap.max': 'max\n',
    'memory.stat': 'anon 1000\nfile 2000\ninactive_file 1500\nactive_file 500\n',
    'memory.events': 'low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\noom_group_kill 0\n',
    'pids.current': '3\n',
    'pids.max': 'max\n',
    'io.stat':
      '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n254:0 rbytes=1 wbytes=0 rios=1 wios=0\n',
    'io.max': '8:0 rbps=1048576 wbps=max riops=max wiops=max\n',
  };
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return { root, dir };
}

test('detects v2 and reads stats from a cgroup2 tree', async (t) => {
  const { root, dir } = await fakeTree(t);
  assert.equal(await detectCgroupVersion(root), 'v2');
  const loc = await locateCgroupByPath('/wharf/c1', { fsRoot: root });
  assert.deepEqual(loc, { version: 'v2', fsRoot: root, dir });
  const s = await readCgroupStats(loc);
  assert.deepEqual(s.cpu, {
    totalUsageNs: 1_500_000,
    userNs: 1_000_000,
    systemNs: 500_000,
    throttling: { periods: 10, throttledPeriods: 3, throttledTimeNs: 250_000 },
  });
  assert.equal(s.memory.usage, 4096000);
  assert.equal(s.memory.limit, 67108864);
  assert.equal(s.memory.maxUsage, 5000000);
  assert.equal(s.memory.stats.inactive_file, 1500);
  assert.deepEqual(s.pids, { current: 3, limit: null });
  assert.equal(s.oomKills, 2);
  assert.deepEqual(s.blkio.ioServiceBytes, [
    { major: 8, minor: 0, op: 'read', value: 4096 },
    { major: 8, minor: 0, op: 'write', value: 8192 },
    { major: 254, minor: 0, op: 'read', value: 1 },
    { major: 254, minor: 0, op: 'write', value: 0 },
  ]);
});

test('missing controllers read as zero and "max" as null', async (t) => {
  const { root, dir } = await fakeTree(t);
  for (const f of [
    'memory.current',
    'memory.max',
    'memory.peak',
    'pids.current',
    'io.stat',
    'memory.events',
  ]) {
    await rm(join(dir, f));
  }
  const s = await readCgroupStats(await locateCgroupByPath('/wharf/c1', { fsRoot: root }));
  assert.equal(s.memory.usage, 0);
  assert.equal(s.memory.limit, null);
  assert.equal(s.memory.maxUsage, undefined);
  assert.equal(s.oomKills, 0);
  assert.deepEqual(s.blkio.ioServiceBytes, []);
});

test('lists the limit files with their values', async (t) => {
  const { root, dir } = await fakeTree(t);
  const limits = await listCgroupLimits(await locateCgroupByPath('/wharf/c1', { fsRoot: root }));
  const byFile = Object.fromEntries(limits.map((l) => [l.file, l]));
  assert.equal(byFile['memory.max']?.value, '67108864');
  assert.equal(byFile['memory.max']?.controller, 'memory');
  assert.equal(byFile['memory.max']?.path, join(dir, 'memory.max'));
  assert.equal(byFile['cpu.max']?.value, '10000 100000');
  assert.equal(byFile['io.max']?.value, '8:0 rbps=1048576 wbps=max riops=max wiops=max');
  assert.equal(byFile['cgroup.freeze']?.value, '0');
  assert.equal(byFile['memory.high'], undefined, 'absent files are left out');
});

test('locates by pid through /proc/PID/cgroup', async (t) => {
  const { root, dir } = await fakeTree(t);
  const proc = await mkdtemp(join(tmpdir(), 'wharf-proc-'));
  t.after(() => rm(proc, { recursive: true, force: true }));
  await mkdir(join(proc, '42'));
  await writeFile(join(proc, '42', 'cgroup'), '0::/wharf/c1\n');
  assert.deepEqual(await locateCgroupByPid(42, { fsRoot: root, procRoot: proc }), {
    version: 'v2',
    fsRoot: root,
    dir,
  });
});

test('a removed cgroup is CGROUP_NOT_FOUND', async (t) => {
  const { root } = await fakeTree(t);
  const loc = await locateCgroupByPath('/wharf/gone', { fsRoot: root });
  await assert.rejects(readCgroupStats(loc), (err) => isWharfError(err, 'CGROUP_NOT_FOUND'));
  await assert.rejects(locateCgroupByPath('/wharf/../etc', { fsRoot: root }), (err) =>
    isWharfError(err, 'INVALID_ARGUMENT'),
  );
});
