// cgroup v1 readers against a real cgroup made for the test: a shell is
// moved into <hierarchy>/wharf-test-<rand> of every v1 controller, burns a
// little CPU and sleeps; the test reads it by pid and by path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  detectCgroupVersion,
  listCgroupLimits,
  locateCgroupByPath,
  locateCgroupByPid,
  readCgroupStats,
} from './index.js';
import { isRoot } from '../../testing/busybox.js';

const ROOT = '/sys/fs/cgroup';
const CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio', 'freezer'];

async function skipReason(): Promise<string | undefined> {
  if (!isRoot()) return 'needs root';
  try {
    if ((await detectCgroupVersion(ROOT)) !== 'v1') return 'host is not cgroup v1';
  } catch {
    return 'no cgroup hierarchy';
  }
  if (!CONTROLLERS.every((c) => existsSync(join(ROOT, c)))) return 'v1 controllers missing';
  return undefined;
}

test('reads stats and limits of a real v1 cgroup', async (t) => {
  const reason = await skipReason();
  if (reason) {
    console.log(`skipped: ${reason}`);
    t.skip(reason);
    return;
  }
  const path = `/wharf-test-${randomBytes(6).toString('hex')}`;
  const dirs = CONTROLLERS.map((c) => join(ROOT, c, path));
  const child = spawn(
    '/bin/sh',
    ['-c', 'read x; i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; exec sleep 60'],
    {
      stdio: ['pipe', 'ignore', 'inherit'],
    },
  );
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    for (const d of dirs) {
      for (let i = 0; i < 100; i++) {
        try {
          await rmdir(d);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
          await sleep(20);
        }
      }
    }
  });
  for (const d of dirs) await mkdir(d);
  const mem = join(ROOT, 'memory', path);
  await writeFile(join(mem, 'memory.limit_in_bytes'), '67108864');
  await writeFile(join(ROOT, 'pids', path, 'pids.max'), '20');
  await writeFile(join(ROOT, 'cpu', path, 'cpu.shares'), '512');
  for (const d of dirs) await writeFile(join(d, 'cgroup.procs'), String(child.pid));
  child.stdin.end('go\n');

  const byPid = await locateCgroupByPid(child.pid ?? 0);
  assert.equal(byPid.version, 'v1');
  assert.equal(byPid.version === 'v1' && byPid.dirs.memory, mem);
  const byPath = await locateCgroupByPath(path);
  assert.equal(byPath.version === 'v1' && byPath.dirs.pids, join(ROOT, 'pids', path));

  let stats = await readCgroupStats(byPid);
  for (let i = 0; i < 500 && (stats.cpu.userNs + stats.cpu.systemNs === 0 || stats.pids.current === 0); i++) {
    await sleep(20);
    stats = await readCgroupStats(byPid);
  }
  assert.equal(stats.version, 'v1');
  assert.ok(stats.cpu.totalUsageNs > 0, 'cpu usage counted');
  assert.ok(stats.cpu.userNs + stats.cpu.systemNs > 0, 'user+system counted');
  assert.equal(typeof stats.cpu.throttling.periods, 'number');
  assert.equal(stats.memory.limit, 67108864);
  assert.ok(stats.memory.usage > 0, 'memory charged');
  assert.ok((stats.memory.maxUsage ?? 0) >= stats.memory.usage);
  assert.ok(
    'total_inactive_file' in stats.memory.stats &&
      'cache' in stats.memory.stats &&
      'rss' in stats.memory.stats,
  );
  assert.equal(stats.pids.current, 1);
  assert.equal(stats.pids.limit, 20);
  assert.ok(Array.isArray(stats.blkio.ioServiceBytes));
  assert.equal(stats.oomKills, 0);

  const limits = Object.fromEntries((await listCgroupLimits(byPath)).map((l) => [l.file, l.value]));
  assert.equal(limits['memory.limit_in_bytes'], '67108864');
  assert.equal(limits['pids.max'], '20');
  assert.equal(limits['cpu.shares'], '512');
  assert.equal(limits['freezer.state'], 'THAWED');
});

test('counts OOM kills in a real v1 memory cgroup', async (t) => {
  const reason = await skipReason();
  if (reason) {
    console.log(`skipped: ${reason}`);
    t.skip(reason);
    return;
  }
  const path = `/wharf-test-oom-${randomBytes(6).toString('hex')}`;
  const mem = join(ROOT, 'memory', path);
  await mkdir(mem);
  t.after(async () => {
    for (let i = 0; i < 100; i++) {
      try {
        await rmdir(mem);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        await sleep(20);
      }
    }
  });
  await writeFile(join(mem, 'memory.limit_in_bytes'), String(16 * 1024 * 1024));
  if (existsSync(join(mem, 'memory.memsw.limit_in_bytes'))) {
    await writeFile(join(mem, 'memory.memsw.limit_in_bytes'), String(16 * 1024 * 1024));
  }
  // The shell keeps 64 MB of command-substitution output in memory.
  const child = spawn(
    '/bin/sh',
    ['-c', 'read x; x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived'],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await writeFile(join(mem, 'cgroup.procs'), String(child.pid));
  const exited = once(child, 'exit');
  child.stdin.end('go\n');
  await exited;
  const stats = await readCgroupStats(await locateCgroupByPath(path));
  assert.ok(stats.oomKills >= 1, `oom_kill counted (${stats.oomKills})`);
  assert.equal(stats.memory.limit, 16 * 1024 * 1024);
});
