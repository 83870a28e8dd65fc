// HostConfig resource fields -> OCI linux.resources, with Docker's defaults
// and validation messages (moby daemon/daemon_unix.go verifyPlatformContainerResources).
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { wharfError } from '../../errors.js';
import type { Resources, ThrottleDevice, WeightDevice } from './docker-types.js';
import type { OciDeviceCgroup, OciResources, OciThrottleDevice, OciWeightDevice } from './oci-types.js';

const MIN_MEMORY = 6 * 1024 * 1024;
const CPU_PERIOD = 100000;

function invalid(msg: string): never {
  throw wharfError('INVALID_CONFIG', msg);
}

/**
 * The memory+swap total Docker uses: -1 stays unlimited, 0 with a memory
 * limit becomes twice the limit (Docker's rule), otherwise as given.
 */
export function memorySwapFor(
  memory: number | undefined,
  memorySwap: number | undefined,
): number | undefined {
  if (memorySwap === -1) return -1;
  if (memorySwap !== undefined && memorySwap > 0) return memorySwap;
  if (memory !== undefined && memory > 0) return memory * 2;
  return undefined;
}

/** Major and minor of a block device node (Linux's encoding of st_rdev). */
export async function blockDeviceNumbers(path: string): Promise<{ major: number; minor: number }> {
  let st;
  try {
    st = await stat(path, { bigint: true });
  } catch (err) {
    throw wharfError(
      'INVALID_CONFIG',
      `error gathering device information while adding custom device "${path}"`,
      err,
    );
  }
  if (!st.isBlockDevice()) invalid(`"${path}" is not a block device`);
  const rdev = st.rdev;
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

async function throttles(
  list: ThrottleDevice[] | null | undefined,
): Promise<OciThrottleDevice[] | undefined> {
  if (!list || list.length === 0) return undefined;
  const out: OciThrottleDevice[] = [];
  for (const d of list) {
    if (!Number.isInteger(d.Rate) || d.Rate < 0) invalid(`invalid rate for device ${d.Path}: ${d.Rate}`);
    out.push({ ...(await blockDeviceNumbers(d.Path)), rate: d.Rate });
  }
  return out;
}

async function weights(list: WeightDevice[] | null | undefined): Promise<OciWeightDevice[] | undefined> {
  if (!list || list.length === 0) return undefined;
  const out: OciWeightDevice[] = [];
  for (const d of list) {
    if (d.Weight !== 0 && (d.Weight < 10 || d.Weight > 1000)) {
      invalid(`invalid weight for device ${d.Path}: ${d.Weight}; range is 10 to 1000`);
    }
    out.push({ ...(await blockDeviceNumbers(d.Path)), weight: d.Weight });
  }
  return out;
}

const CPUSET_RE = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/**
 * Builds linux.resources. `devices` are the device cgroup rules (defaults
 * plus --device entries), passed through unchanged.
 */
export async function buildResources(
  r: Resources,
  devices: readonly OciDeviceCgroup[] = [],
): Promise<OciResources> {
  const out: OciResources = {};
  if (devices.length > 0) out.devices = devices.map((d) => ({ ...d }));

  // memory
  const memory = r.Memory ?? 0;
  if (memory < 0) invalid('invalid memory limit');
  if (memory > 0 && memory < MIN_MEMORY) invalid('Minimum memory limit allowed is 6MB');
  if (memory === 0 && (r.MemorySwap ?? 0) > 0) {
    invalid('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (memory > 0 && (r.MemorySwap ?? 0) > 0 && (r.MemorySwap ?? 0) < memory) {
    invalid('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  const reservation = r.MemoryReservation ?? 0;
  if (reservation > 0 && reservation < MIN_MEMORY) invalid('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    invalid('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  const swappiness = r.MemorySwappiness;
  if (
    swappiness !== undefined &&
    swappiness !== null &&
    swappiness !== -1 &&
    (swappiness < 0 || swappiness > 100)
  ) {
    invalid(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  const mem: NonNullable<OciResources['memory']> = {};
  if (memory > 0) mem.limit = memory;
  const swap = memorySwapFor(memory > 0 ? memory : undefined, r.MemorySwap);
  if (swap !== undefined && memory > 0) mem.swap = swap;
  if (reservation > 0) mem.reservation = reservation;
  if (swappiness !== undefined && swappiness !== null && swappiness >= 0) mem.swappiness = swappiness;
  if (r.OomKillDisable) mem.disableOOMKiller = true;
  if (Object.keys(mem).length > 0) out.memory = mem;

  // cpu
  const cpu: NonNullable<OciResources['cpu']> = {};
  const shares = r.CpuShares ?? 0;
  if (shares < 0) invalid('invalid CPU shares');
  if (shares > 0) cpu.shares = Math.min(Math.max(shares, 2), 262144);
  const nano = r.NanoCpus ?? 0;
  if (nano > 0) {
    if ((r.CpuPeriod ?? 0) > 0) invalid('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    if ((r.CpuQuota ?? 0) > 0) invalid('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    const ncpu = availableParallelism();
    if (nano < 0.01e9 || nano > ncpu * 1e9) {
      invalid(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
    }
    cpu.period = CPU_PERIOD;
    cpu.quota = Math.floor((nano * CPU_PERIOD) / 1e9);
  } else {
    const period = r.CpuPeriod ?? 0;
    const quota = r.CpuQuota ?? 0;
    if (period !== 0 && (period < 1000 || period > 1000000)) {
      invalid('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    }
    if (quota > 0 && quota < 1000) invalid('CPU cfs quota can not be less than 1ms (i.e. 1000)');
    if (period > 0) cpu.period = period;
    if (quota > 0 || quota === -1) cpu.quota = quota;
  }
  if (r.CpuRealtimePeriod) cpu.realtimePeriod = r.CpuRealtimePeriod;
  if (r.CpuRealtimeRuntime) cpu.realtimeRuntime = r.CpuRealtimeRuntime;
  if (r.CpusetCpus) {
    if (!CPUSET_RE.test(r.CpusetCpus)) invalid(`Invalid value ${r.CpusetCpus} for cpuset cpus`);
    cpu.cpus = r.CpusetCpus;
  }
  if (r.CpusetMems) {
    if (!CPUSET_RE.test(r.CpusetMems)) invalid(`Invalid value ${r.CpusetMems} for cpuset mems`);
    cpu.mems = r.CpusetMems;
  }
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  // pids: <= 0 means unlimited, which is the runtime's default
  if (r.PidsLimit !== undefined && r.PidsLimit !== null && r.PidsLimit > 0) out.pids = { limit: r.PidsLimit };

  // block I/O
  const weight = r.BlkioWeight ?? 0;
  if (weight !== 0 && (weight < 10 || weight > 1000)) invalid('Range of blkio weight is from 10 to 1000');
  const blockIO: NonNullable<OciResources['blockIO']> = {};
  if (weight > 0) blockIO.weight = weight;
  const wd = await weights(r.BlkioWeightDevice);
  if (wd) blockIO.weightDevice = wd;
  const rb = await throttles(r.BlkioDeviceReadBps);
  if (rb) blockIO.throttleReadBpsDevice = rb;
  const wb = await throttles(r.BlkioDeviceWriteBps);
  if (wb) blockIO.throttleWriteBpsDevice = wb;
  const ri = await throttles(r.BlkioDeviceReadIOps);
  if (ri) blockIO.throttleReadIOPSDevice = ri;
  const wi = await throttles(r.BlkioDeviceWriteIOps);
  if (wi) blockIO.throttleWriteIOPSDevice = wi;
  if (Object.keys(blockIO).length > 0) out.blockIO = blockIO;

  return out;
}
