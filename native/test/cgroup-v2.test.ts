// cgroup v2 through the runtime.
//
// 1. Limits on a fake tree. WHARF_CGROUP_ROOT points the runtime at a temp
//    directory laid out like a cgroup2 mount. A real cgroup2 mkdir creates
//    the interface files; a plain mkdir does not, and the driver (rightly)
//    only writes files that exist. So the test pre-creates the parents and
//    the container's directory with the files a real cgroup2 dir has; the
//    driver's mkdir then meets EEXIST. Each write replaces a fake file's
//    content, so a file shows the last value written. The container itself
//    runs for real, just unconstrained.
// 2. The real cgroup2 tree: the host's own (pure v2) or, on a hybrid host,
//    the controller-less cgroup2 mount at /sys/fs/cgroup/unified: join,
//    freeze/thaw via cgroup.freeze, the eBPF device filter, ps, delete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRoot } from '../../engine/testing/busybox.js';
import { IS_WHARF_RUNTIME, TestContainer, tryRmdir } from './cgroup-helpers.js';

const MiB = 1024 * 1024;
const CONTROLLERS = 'cpuset cpu io memory pids';

const LEAF_FILES: Record<string, string> = {
  'cgroup.controllers': CONTROLLERS,
  'cgroup.subtree_control': '',
  'cgroup.procs': '',
  'cgroup.events': 'populated 0\nfrozen 0\n',
  'cgroup.freeze': '0',
  'memory.max': 'max',
  'memory.low': '0',
  'memory.swap.max': 'max',
  'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n',
  'memory.current': '0',
  'cpu.weight': '100',
  'cpu.max': 'max 100000',
  'cpuset.cpus': '',
  'cpuset.mems': '',
  'pids.max': 'max',
  'io.weight': 'default 100',
  'io.max': '',
};

function makeDir(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

function fakeTree(cgroupsPath: string): string {
  const root = mkdtempSync(join(tmpdir(), 'wharf-cgroup2-'));
  makeDir(root, { 'cgroup.controllers': CONTROLLERS, 'cgroup.subtree_control': '', 'cgroup.procs': '' });
  const parts = cgroupsPath.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    makeDir(join(root, ...parts.slice(0, i)), {
      'cgroup.controllers': CONTROLLERS,
      'cgroup.subtree_control': '',
      'cgroup.procs': '',
    });
  }
  makeDir(join(root, cgroupsPath), LEAF_FILES);
  return root;
}

function readIn(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8').trim();
}

async function waitStopped(c: TestContainer): Promise<void> {
  for (let i = 0; i < 250 && c.state().status !== 'stopped'; i++) await sleep(20);
}

test('cgroup v2 limits, written through run and update (fake tree)', async (t) => {
  if (!isRoot() || !IS_WHARF_RUNTIME) {
    const why = isRoot() ? 'WHARF_CGROUP_ROOT is a wharf-runtime feature' : 'needs root';
    console.log(`skipped: ${why}`);
    t.skip(why);
    return;
  }
  const c = new TestContainer({
    args: ['sh', '-c', 'echo started; exec sleep 1000'],
    resources: {
      memory: { limit: 64 * MiB, swap: 192 * MiB, reservation: 32 * MiB },
      cpu: { shares: 1024, quota: 10000, period: 100000, cpus: '0-1', mems: '0' },
      pids: { limit: 42 },
      blockIO: {
        weight: 500,
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: MiB }],
        throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2 * MiB }],
        throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
      },
    },
  });
  const tree = fakeTree(c.cgroupsPath);
  c.env.WHARF_CGROUP_ROOT = tree;
  t.after(() => {
    c.dispose();
    rmSync(tree, { recursive: true, force: true });
  });
  const leaf = join(tree, c.cgroupsPath);
  c.run();
  await c.waitOutput('started');
  const pid = c.state().pid;

  // Controllers enabled in every ancestor, not in the leaf.
  assert.equal(readIn(tree, 'cgroup.subtree_control'), '+cpuset +cpu +io +memory +pids');
  assert.equal(
    readIn(join(tree, 'wharf-cgtest'), 'cgroup.subtree_control'),
    '+cpuset +cpu +io +memory +pids',
  );
  assert.equal(readIn(leaf, 'cgroup.subtree_control'), '');
  assert.equal(readIn(leaf, 'cgroup.procs'), String(pid));

  assert.equal(readIn(leaf, 'memory.max'), String(64 * MiB));
  assert.equal(readIn(leaf, 'memory.swap.max'), String(128 * MiB), 'swap.max = swap - memory');
  assert.equal(readIn(leaf, 'memory.low'), String(32 * MiB));
  assert.equal(readIn(leaf, 'cpu.weight'), '100', 'shares 1024 -> weight 100');
  assert.equal(readIn(leaf, 'cpu.max'), '10000 100000');
  assert.equal(readIn(leaf, 'cpuset.cpus'), '0-1');
  assert.equal(readIn(leaf, 'cpuset.mems'), '0');
  assert.equal(readIn(leaf, 'pids.max'), '42');
  assert.equal(readIn(leaf, 'io.weight'), 'default 4950', 'blkio 500 -> 1 + 490 * 9999 / 990');
  // One write per device carrying all its limits; the fake file keeps the last (8:16).
  assert.equal(readIn(leaf, 'io.max'), '8:16 riops=100');

  // update: shares endpoints, unlimited quota keeps the period, swap -1 -> max.
  c.update({ cpu: { shares: 2, quota: -1 }, memory: { limit: 128 * MiB, swap: -1 }, pids: { limit: 0 } });
  assert.equal(readIn(leaf, 'cpu.weight'), '1', 'shares 2 -> weight 1');
  assert.equal(readIn(leaf, 'cpu.max'), 'max 100000');
  assert.equal(readIn(leaf, 'memory.max'), String(128 * MiB));
  assert.equal(readIn(leaf, 'memory.swap.max'), 'max');
  assert.equal(readIn(leaf, 'pids.max'), 'max');
  c.update({
    cpu: { shares: 262144, period: 50000 },
    blockIO: { throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 4096 }] },
  });
  assert.equal(readIn(leaf, 'cpu.weight'), '10000', 'shares 262144 -> weight 10000');
  assert.equal(readIn(leaf, 'cpu.max'), 'max 50000', 'the quota is kept when only the period changes');
  assert.equal(readIn(leaf, 'io.max'), '8:0 wbps=4096');
  c.update({ cpu: { shares: 512 }, memory: { limit: 100 * MiB, swap: 300 * MiB } });
  assert.equal(readIn(leaf, 'cpu.weight'), '59');
  assert.equal(readIn(leaf, 'memory.swap.max'), String(200 * MiB));

  // swap lower than memory is refused, and nothing is written.
  const bad = c.rt(c.updateArgs({ memory: { limit: 64 * MiB, swap: 32 * MiB } }));
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /swap/);
  assert.equal(readIn(leaf, 'memory.max'), String(100 * MiB));

  c.must(['kill', c.id, 'KILL']);
  await waitStopped(c);
  // A real cgroup dir is removable while it shows its files; a fake one is
  // not, so empty it and let the runtime rmdir it.
  for (const f of readdirSync(leaf)) rmSync(join(leaf, f));
  c.must(['delete', c.id]);
  assert.equal(existsSync(leaf), false, 'cgroup directory removed');
});

/** The real cgroup2 mount: /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a hybrid one. */
function realCgroup2(): string | undefined {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return '/sys/fs/cgroup';
  if (existsSync('/sys/fs/cgroup/unified/cgroup.controllers')) return '/sys/fs/cgroup/unified';
  return undefined;
}

test('cgroup v2 on the real kernel: join, freeze, eBPF device filter, delete', async (t) => {
  const mount = realCgroup2();
  if (!isRoot() || !mount || !IS_WHARF_RUNTIME) {
    const why = !isRoot()
      ? 'needs root'
      : !mount
        ? 'no cgroup2 mount'
        : 'WHARF_CGROUP_ROOT is a wharf-runtime feature';
    console.log(`skipped: ${why}`);
    t.skip(why);
    return;
  }
  // The runtime allows its default devices (null, zero, ...) after the
  // config's rules, so the filter is probed with block devices the
  // container makes itself (mknod is allowed for all, "b *:* m"): the
  // config allows 7:0 and denies the rest.
  const probe = (dev: string) =>
    `head -c1 /dev/${dev} 2>&1 >/dev/null | grep -q 'not permitted' && echo ${dev}-denied || echo ${dev}-allowed`;
  const script = [
    'mknod /dev/l0 b 7 0',
    'mknod /dev/l1 b 7 1',
    probe('l0'),
    probe('l1'),
    'echo checked',
    'exec sleep 1000',
  ].join('; ');
  const c = new TestContainer({
    args: ['sh', '-c', script],
    resources: {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'b', major: 7, minor: 0, access: 'rwm' },
      ],
    },
    env: { WHARF_CGROUP_ROOT: mount },
  });
  t.after(() => {
    c.dispose();
    tryRmdir(join(mount, 'wharf-cgtest'));
  });
  c.run();
  const out = await c.waitOutput('checked');
  const dir = join(mount, c.cgroupsPath);
  const pid = c.state().pid;
  assert.ok(readIn(dir, 'cgroup.procs').split('\n').includes(String(pid)));
  assert.match(out, /l0-allowed/);
  assert.match(out, /l1-denied/);

  c.must(['pause', c.id]);
  assert.match(readIn(dir, 'cgroup.events'), /^frozen 1$/m);
  c.must(['resume', c.id]);
  assert.match(readIn(dir, 'cgroup.events'), /^frozen 0$/m);
  assert.deepEqual(JSON.parse(c.must(['ps', '--format', 'json', c.id])), [pid]);

  c.must(['kill', c.id, 'KILL']);
  await waitStopped(c);
  c.must(['delete', c.id]);
  assert.equal(existsSync(dir), false, 'cgroup removed');
  tryRmdir(join(mount, 'wharf-cgtest'));
});
