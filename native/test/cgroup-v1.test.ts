// cgroup v1 through the runtime on the real kernel: limits at create, update
// raising and lowering memory (memsw write order both ways) and cpu shares,
// pause/resume with the freezer, pids, and no directories left after delete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot } from '../../engine/testing/busybox.js';
import { TestContainer, tryRmdir } from './cgroup-helpers.js';

const ROOT = '/sys/fs/cgroup';
const HIERARCHIES = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids'];

function skipReason(): string | undefined {
  if (!isRoot()) return 'needs root';
  if (existsSync(join(ROOT, 'cgroup.controllers'))) return 'host is cgroup v2 (see cgroup-v2.test.ts)';
  if (!HIERARCHIES.every((h) => existsSync(join(ROOT, h)))) return 'cgroup v1 hierarchies missing';
  return undefined;
}

function read(controller: string, path: string, file: string): string {
  return readFileSync(join(ROOT, controller, path, file), 'utf8').trim();
}

/** A real block device (not loop/zram) for throttle rules, as "MAJ:MIN". */
function blockDevice(): { major: number; minor: number } | undefined {
  for (const name of readdirSync('/sys/block')) {
    if (/^(loop|zram|ram)/.test(name)) continue;
    const [major, minor] = readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
    if (major !== undefined && minor !== undefined) return { major, minor };
  }
  return undefined;
}

const MiB = 1024 * 1024;

test('cgroup v1: limits, update both ways, pause/resume, delete', async (t) => {
  const reason = skipReason();
  if (reason) {
    console.log(`skipped: ${reason}`);
    t.skip(reason);
    return;
  }
  const dev = blockDevice();
  const c = new TestContainer({
    args: ['sh', '-c', 'echo started; exec sleep 1000'],
    resources: {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
      ],
      memory: { limit: 64 * MiB, swap: 128 * MiB, reservation: 32 * MiB, swappiness: 10 },
      cpu: { shares: 512, quota: 20000, period: 100000, cpus: '0', mems: '0' },
      pids: { limit: 50 },
      blockIO: {
        weight: 500,
        ...(dev
          ? {
              throttleReadBpsDevice: [{ ...dev, rate: MiB }],
              throttleWriteIOPSDevice: [{ ...dev, rate: 100 }],
            }
          : {}),
      },
    },
  });
  t.after(() => {
    c.dispose();
    for (const h of [...HIERARCHIES, 'unified']) tryRmdir(join(ROOT, h, 'wharf-cgtest'));
  });
  c.run();
  await c.waitOutput('started');
  const p = c.cgroupsPath;
  const pid = c.state().pid;

  // The container's init sits in <hierarchy>/<cgroupsPath> of every controller.
  for (const h of HIERARCHIES) {
    assert.ok(read(h, p, 'cgroup.procs').split('\n').includes(String(pid)), `init in ${h}`);
  }
  // Hybrid host: also tracked in the controller-less cgroup2 tree, like runc.
  const unified = existsSync(join(ROOT, 'unified', 'cgroup.controllers'));
  if (unified)
    assert.ok(read('unified', p, 'cgroup.procs').split('\n').includes(String(pid)), 'init in unified');
  assert.equal(read('memory', p, 'memory.limit_in_bytes'), String(64 * MiB));
  assert.equal(read('memory', p, 'memory.memsw.limit_in_bytes'), String(128 * MiB));
  assert.equal(read('memory', p, 'memory.soft_limit_in_bytes'), String(32 * MiB));
  assert.equal(read('memory', p, 'memory.swappiness'), '10');
  assert.equal(read('cpu', p, 'cpu.shares'), '512');
  assert.equal(read('cpu', p, 'cpu.cfs_quota_us'), '20000');
  assert.equal(read('cpu', p, 'cpu.cfs_period_us'), '100000');
  assert.equal(read('cpuset', p, 'cpuset.cpus'), '0');
  assert.equal(read('cpuset', p, 'cpuset.mems'), '0');
  // Parents were initialised from their parent before the child took tasks.
  assert.notEqual(read('cpuset', '/wharf-cgtest', 'cpuset.cpus'), '');
  assert.equal(read('pids', p, 'pids.max'), '50');
  const weightFile = existsSync(join(ROOT, 'blkio', p, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight';
  assert.match(read('blkio', p, weightFile), /(^|\s)500(\s|$)/);
  if (dev) {
    assert.equal(read('blkio', p, 'blkio.throttle.read_bps_device'), `${dev.major}:${dev.minor} ${MiB}`);
    assert.equal(read('blkio', p, 'blkio.throttle.write_iops_device'), `${dev.major}:${dev.minor} 100`);
  }
  // Deny-all then exceptions (a runtime may add its default devices too).
  const devices = read('devices', p, 'devices.list').split('\n');
  assert.ok(!devices.includes('a *:* rwm'), 'not allow-all');
  assert.ok(devices.includes('c 1:3 rwm') && devices.includes('c 1:5 rwm'), devices.join(', '));

  // Raising: memsw must be written before the limit (256M > current memsw 128M).
  c.update({ memory: { limit: 256 * MiB, swap: 512 * MiB }, cpu: { shares: 1024 } });
  assert.equal(read('memory', p, 'memory.limit_in_bytes'), String(256 * MiB));
  assert.equal(read('memory', p, 'memory.memsw.limit_in_bytes'), String(512 * MiB));
  assert.equal(read('cpu', p, 'cpu.shares'), '1024');
  // Lowering: the limit must go first (new memsw 32M < current limit 256M).
  c.update({ memory: { limit: 16 * MiB, swap: 32 * MiB }, cpu: { shares: 2 }, pids: { limit: -1 } });
  assert.equal(read('memory', p, 'memory.limit_in_bytes'), String(16 * MiB));
  assert.equal(read('memory', p, 'memory.memsw.limit_in_bytes'), String(32 * MiB));
  assert.equal(read('cpu', p, 'cpu.shares'), '2');
  assert.equal(read('pids', p, 'pids.max'), 'max');
  // swap < memory is refused and changes nothing.
  assert.notEqual(c.rt(c.updateArgs({ memory: { limit: 64 * MiB, swap: 32 * MiB } })).status, 0);
  assert.equal(read('memory', p, 'memory.limit_in_bytes'), String(16 * MiB));
  // Unlimited both.
  c.update({ memory: { limit: -1, swap: -1 } });
  assert.ok(Number(read('memory', p, 'memory.limit_in_bytes')) > 2 ** 62);
  assert.ok(Number(read('memory', p, 'memory.memsw.limit_in_bytes')) > 2 ** 62);

  c.must(['pause', c.id]);
  assert.equal(read('freezer', p, 'freezer.state'), 'FROZEN');
  assert.equal(c.state().status, 'paused');
  c.must(['resume', c.id]);
  assert.equal(read('freezer', p, 'freezer.state'), 'THAWED');
  assert.equal(c.state().status, 'running');

  const ps = JSON.parse(c.must(['ps', '--format', 'json', c.id])) as number[];
  assert.deepEqual(ps, [pid]);

  c.must(['kill', c.id, 'KILL']);
  for (let i = 0; i < 200 && c.state().status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  c.must(['delete', c.id]);
  for (const h of [...HIERARCHIES, 'unified'])
    assert.equal(existsSync(join(ROOT, h, p)), false, `${h}${p} removed`);
});
