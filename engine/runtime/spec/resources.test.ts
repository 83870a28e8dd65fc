import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { describe, test } from 'node:test';
import { blockDeviceNumbers, buildResources, memorySwapFor } from './resources.js';

function someBlockDevice(): string | undefined {
  for (const name of readdirSync('/dev')) {
    try {
      if (statSync(`/dev/${name}`).isBlockDevice()) return `/dev/${name}`;
    } catch {
      // skip
    }
  }
  return undefined;
}

describe('linux.resources', () => {
  test('nothing set gives nothing', async () => {
    assert.deepEqual(await buildResources({}), {});
  });

  test('memory only: swap is twice the memory (Docker’s rule)', async () => {
    const r = await buildResources({ Memory: 64 * 1024 * 1024 });
    assert.deepEqual(r.memory, { limit: 67108864, swap: 134217728 });
    assert.equal(memorySwapFor(100, undefined), 200);
    assert.equal(memorySwapFor(100, 0), 200);
  });

  test('memory swap -1 is unlimited, explicit totals pass through', async () => {
    assert.deepEqual((await buildResources({ Memory: 10e6, MemorySwap: -1 })).memory, {
      limit: 10e6,
      swap: -1,
    });
    assert.deepEqual((await buildResources({ Memory: 10e6, MemorySwap: 30e6 })).memory, {
      limit: 10e6,
      swap: 30e6,
    });
  });

  test('memory validation messages', async () => {
    await assert.rejects(buildResources({ Memory: 1024 }), {
      code: 'INVALID_CONFIG',
      message: /Minimum memory limit allowed is 6MB/,
    });
    await assert.rejects(buildResources({ Memory: 20e6, MemorySwap: 10e6 }), {
      message: /Minimum memoryswap limit should be larger than memory limit/,
    });
    await assert.rejects(buildResources({ MemorySwap: 20e6 }), {
      message: /always set the Memory limit when using Memoryswap/,
    });
    await assert.rejects(buildResources({ Memory: 10e6, MemoryReservation: 20e6 }), {
      message: /can not be less than memory reservation/,
    });
    await assert.rejects(buildResources({ MemorySwappiness: 101 }), {
      message: /valid memory swappiness range is 0-100/,
    });
  });

  test('reservation and swappiness (-1/null mean unset)', async () => {
    assert.deepEqual((await buildResources({ MemoryReservation: 8e6, MemorySwappiness: 0 })).memory, {
      reservation: 8e6,
      swappiness: 0,
    });
    assert.equal((await buildResources({ MemorySwappiness: -1 })).memory, undefined);
    assert.equal((await buildResources({ MemorySwappiness: null })).memory, undefined);
  });

  test('cpu shares: 0 means the default (unset), others pass', async () => {
    assert.equal((await buildResources({ CpuShares: 0 })).cpu, undefined);
    assert.deepEqual((await buildResources({ CpuShares: 512 })).cpu, { shares: 512 });
  });

  test('NanoCpus becomes quota over a 100ms period', async () => {
    assert.deepEqual((await buildResources({ NanoCpus: 1.5e9 })).cpu, { period: 100000, quota: 150000 });
    assert.deepEqual((await buildResources({ NanoCpus: 0.5e9 })).cpu, { period: 100000, quota: 50000 });
    await assert.rejects(buildResources({ NanoCpus: 1e9, CpuQuota: 50000 }), {
      message: /Nano CPUs and CPU Quota cannot both be set/,
    });
    await assert.rejects(buildResources({ NanoCpus: 1e9, CpuPeriod: 50000 }), {
      message: /Nano CPUs and CPU Period/,
    });
    await assert.rejects(buildResources({ NanoCpus: 1e15 }), { message: /Range of CPUs is from 0.01/ });
  });

  test('quota/period, cpusets, pids, blkio weight', async () => {
    const r = await buildResources({
      CpuQuota: 20000,
      CpuPeriod: 50000,
      CpusetCpus: '0-1',
      CpusetMems: '0',
      PidsLimit: 42,
      BlkioWeight: 300,
    });
    assert.deepEqual(r.cpu, { period: 50000, quota: 20000, cpus: '0-1', mems: '0' });
    assert.deepEqual(r.pids, { limit: 42 });
    assert.deepEqual(r.blockIO, { weight: 300 });
    assert.equal((await buildResources({ PidsLimit: 0 })).pids, undefined);
    assert.equal((await buildResources({ PidsLimit: -1 })).pids, undefined);
    await assert.rejects(buildResources({ BlkioWeight: 5 }), { message: /blkio weight is from 10 to 1000/ });
    await assert.rejects(buildResources({ CpusetCpus: 'x' }), { message: /cpuset cpus/ });
    await assert.rejects(buildResources({ CpuQuota: 10 }), { message: /quota can not be less than 1ms/ });
  });

  test('device throttles resolve paths to major:minor', async (t) => {
    const dev = someBlockDevice();
    if (!dev) {
      t.skip('no block device in /dev');
      return;
    }
    const nums = await blockDeviceNumbers(dev);
    const r = await buildResources({
      BlkioDeviceReadBps: [{ Path: dev, Rate: 1048576 }],
      BlkioDeviceWriteBps: [{ Path: dev, Rate: 2097152 }],
      BlkioDeviceReadIOps: [{ Path: dev, Rate: 100 }],
      BlkioDeviceWriteIOps: [{ Path: dev, Rate: 200 }],
      BlkioWeightDevice: [{ Path: dev, Weight: 500 }],
    });
    assert.deepEqual(r.blockIO, {
      weightDevice: [{ ...nums, weight: 500 }],
      throttleReadBpsDevice: [{ ...nums, rate: 1048576 }],
      throttleWriteBpsDevice: [{ ...nums, rate: 2097152 }],
      throttleReadIOPSDevice: [{ ...nums, rate: 100 }],
      throttleWriteIOPSDevice: [{ ...nums, rate: 200 }],
    });
    await assert.rejects(buildResources({ BlkioDeviceReadBps: [{ Path: '/dev/null', Rate: 1 }] }), {
      message: /is not a block device/,
    });
    await assert.rejects(buildResources({ BlkioDeviceReadBps: [{ Path: '/dev/nope-x', Rate: 1 }] }), {
      code: 'INVALID_CONFIG',
    });
  });
});
