// Resource limits of the container runtime on the real kernel: memory + OOM,
// CPU shares, CFS quota, freezer, and live update. cgroup v1 paths here (the
// build machine); the files are read directly so the test checks the kernel,
// not our own readers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerEvent } from './types.js';
import { leaks, useFixture, skipReason, sleep, type Fixture } from './test-helpers.js';

const CG = '/sys/fs/cgroup';
const v1 = existsSync(join(CG, 'memory')) && existsSync(join(CG, 'cpuacct'));
const skip =
  skipReason() ?? (v1 ? undefined : 'these assertions read cgroup v1 files; this host has no v1 hierarchy');
if (skip) console.log(`# skipping container resource tests: ${skip}`);

const BUSY = ['sh', '-c', 'while :; do :; done'];
const MiB = 1024 * 1024;

function cg(controller: string, id: string, file: string): string {
  return readFileSync(join(CG, controller, 'wharf', id, file), 'utf8').trim();
}

/** Nanoseconds of CPU the container used so far. */
function cpuUsage(id: string): number {
  return Number(cg('cpuacct', id, 'cpuacct.usage'));
}

/** CPU used over `ms` of wall time, per container, in ns. */
async function measure(ids: string[], ms: number): Promise<{ used: number[]; wallNs: number }> {
  const start = ids.map(cpuUsage);
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const used = ids.map((id, i) => cpuUsage(id) - (start[i] ?? 0));
  return { used, wallNs: Number(process.hrtime.bigint() - t0) };
}

describe('container resources', { skip }, () => {
  let fx: Fixture;
  useFixture('res', (f) => (fx = f));

  test('memory 64m with equal swap: touching 100 MB is OOM-killed, 40 MB finishes', async () => {
    const limits = { Memory: 64 * MiB, MemorySwap: 64 * MiB };
    const ooms: string[] = [];
    const onOom = (e: ContainerEvent): void => void ooms.push(e.id);
    fx.rt.on('oom', onOom);
    const big = await fx.run({ Cmd: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'] }, limits);
    assert.equal(big.exitCode, 137, big.stderr);
    assert.equal(big.oomKilled, true);
    assert.equal(fx.rt.inspect(big.id).state.oomKilled, true);
    fx.rt.off('oom', onOom);
    assert.deepEqual(ooms, [big.id]);
    const small = await fx.run({ Cmd: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=40M', 'count=1'] }, limits);
    assert.equal(small.exitCode, 0, small.stderr);
    assert.equal(small.oomKilled, false);
    await fx.rt.remove(big.id);
    await fx.rt.remove(small.id);
  });

  test('only Memory given: swap limit is twice the memory (Docker)', async () => {
    const id = await fx.create({ Cmd: ['sleep', '1000'] }, { Memory: 32 * MiB });
    assert.equal(fx.rt.inspect(id).hostConfig.MemorySwap, 64 * MiB);
    await fx.rt.start(id);
    assert.equal(cg('memory', id, 'memory.limit_in_bytes'), String(32 * MiB));
    if (existsSync(join(CG, 'memory', 'wharf', id, 'memory.memsw.limit_in_bytes'))) {
      assert.equal(cg('memory', id, 'memory.memsw.limit_in_bytes'), String(64 * MiB));
    }
    await fx.rt.remove(id, { force: true });
  });

  test('CPU shares 1024 vs 512 on one CPU split it about 2:1', async () => {
    const a = await fx.create({ Cmd: BUSY }, { CpusetCpus: '0', CpuShares: 1024 });
    const b = await fx.create({ Cmd: BUSY }, { CpusetCpus: '0', CpuShares: 512 });
    await fx.rt.start(a);
    await fx.rt.start(b);
    await sleep(500);
    const { used } = await measure([a, b], 3000);
    const ratio = (used[0] ?? 0) / Math.max(1, used[1] ?? 0);
    assert.ok(ratio > 1.5 && ratio < 2.5, `ratio ${ratio.toFixed(2)} not within 2 ± 25%`);
    await fx.rt.remove(a, { force: true });
    await fx.rt.remove(b, { force: true });
  });

  test('CpuQuota 10000 / CpuPeriod 100000 holds a busy loop near 10% of a CPU', async () => {
    const id = await fx.create({ Cmd: BUSY }, { CpuQuota: 10000, CpuPeriod: 100000 });
    await fx.rt.start(id);
    await sleep(500);
    const { used, wallNs } = await measure([id], 3000);
    const share = (used[0] ?? 0) / wallNs;
    assert.ok(share <= 0.12, `used ${(share * 100).toFixed(1)}% of a CPU`);
    assert.ok(share > 0.01, `used only ${(share * 100).toFixed(1)}% of a CPU: is the loop running?`);
    await fx.rt.remove(id, { force: true });
  });

  test('pause freezes a busy container and unpause resumes it', async () => {
    const id = await fx.create({ Cmd: BUSY }, { CpuQuota: 50000, CpuPeriod: 100000 });
    await fx.rt.start(id);
    await sleep(200);
    await fx.rt.pause(id);
    assert.equal(fx.rt.inspect(id).state.status, 'paused');
    assert.equal(cg('freezer', id, 'freezer.state'), 'FROZEN');
    await sleep(100);
    const frozen = await measure([id], 1000);
    assert.equal(frozen.used[0], 0, 'CPU time accrued while paused');
    await fx.rt.unpause(id);
    assert.equal(fx.rt.inspect(id).state.status, 'running');
    const thawed = await measure([id], 1000);
    assert.ok((thawed.used[0] ?? 0) > 10_000_000, 'no CPU time after unpause');
    await fx.rt.remove(id, { force: true });
  });

  test('update raises and lowers memory and CPU limits of a running container', async () => {
    const id = await fx.create(
      { Cmd: ['sleep', '1000'] },
      { Memory: 64 * MiB, MemorySwap: 128 * MiB, CpuShares: 1024 },
    );
    await fx.rt.start(id);
    assert.equal(cg('memory', id, 'memory.limit_in_bytes'), String(64 * MiB));
    assert.equal(cg('cpu', id, 'cpu.shares'), '1024');

    await fx.rt.update(id, { Memory: 256 * MiB, MemorySwap: 512 * MiB, CpuShares: 2048, CpuQuota: 50000 });
    assert.equal(cg('memory', id, 'memory.limit_in_bytes'), String(256 * MiB));
    assert.equal(cg('cpu', id, 'cpu.shares'), '2048');
    assert.equal(cg('cpu', id, 'cpu.cfs_quota_us'), '50000');

    await fx.rt.update(id, { Memory: 32 * MiB, MemorySwap: 48 * MiB, CpuShares: 256, CpuQuota: 20000 });
    assert.equal(cg('memory', id, 'memory.limit_in_bytes'), String(32 * MiB));
    assert.equal(cg('cpu', id, 'cpu.shares'), '256');
    assert.equal(cg('cpu', id, 'cpu.cfs_quota_us'), '20000');
    assert.equal(fx.rt.inspect(id).hostConfig.Memory, 32 * MiB);
    const stats = await fx.rt.stats(id);
    assert.equal(stats.memory.limit, 32 * MiB);
    assert.ok(stats.pids.current >= 1);
    await fx.rt.remove(id, { force: true });
  });

  test('leaves no mounts, cgroups, processes or namespaces behind', async () => {
    for (const rec of fx.rt.list()) await fx.rt.remove(rec.id, { force: true });
    assert.deepEqual(await leaks(fx), []);
  });
});
