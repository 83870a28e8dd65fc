// engine/runtime/cgroups: reads a container's cgroup for `docker stats` and
// for the UI's "under the hood" panel. Read-only: wharf-runtime creates,
// limits and removes cgroups (native/src/cgroup/); this module never writes.
//
// Lifecycle: locate the cgroup once (by the container's init pid, or by its
// cgroupsPath), then call readCgroupStats / listCgroupLimits as often as
// needed. A location stays valid until the runtime deletes the cgroup; after
// that the readers throw ENOENT-coded errors (CGROUP_NOT_FOUND).
//
// v1 reads cpuacct.usage{,_user,_sys} + cpu.stat, memory.usage_in_bytes /
// limit_in_bytes / max_usage_in_bytes / stat / oom_control, pids.current /
// max and blkio.throttle.io_service_bytes. v2 reads cpu.stat (usec -> ns),
// memory.current / max / peak / stat / events, pids.current / max, io.stat.
// A controller that is not mounted (v1) or not enabled (v2) reads as zero.

export type CgroupVersion = 'v1' | 'v2';

/** Where a container's cgroup lives. */
export type CgroupLocation =
  | {
      version: 'v2';
      /** The cgroup2 mount, normally /sys/fs/cgroup. */
      fsRoot: string;
      /** The container's cgroup directory. */
      dir: string;
    }
  | {
      version: 'v1';
      /** The directory holding one mount per controller, normally /sys/fs/cgroup. */
      fsRoot: string;
      /** Controller ("memory", "cpu", "cpuacct", ...) -> the cgroup's directory in that hierarchy. */
      dirs: Partial<Record<string, string>>;
    };

export interface LocateOptions {
  /** Defaults to $WHARF_CGROUP_ROOT, else /sys/fs/cgroup. */
  fsRoot?: string;
  /** Defaults to /proc (for locateCgroupByPid). */
  procRoot?: string;
}

export interface CpuStats {
  totalUsageNs: number;
  userNs: number;
  systemNs: number;
  throttling: { periods: number; throttledPeriods: number; throttledTimeNs: number };
}

export interface MemoryStats {
  /** Bytes charged now (v1 memory.usage_in_bytes, v2 memory.current). */
  usage: number;
  /** The hard limit in bytes; null when unlimited. */
  limit: number | null;
  /** High-water mark (v1 memory.max_usage_in_bytes, v2 memory.peak when the kernel has it). */
  maxUsage?: number;
  /** memory.stat as is: v1 has cache, rss, total_inactive_file, ...; v2 anon, file, inactive_file, ... */
  stats: Record<string, number>;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: 'read' | 'write';
  value: number;
}

export interface CgroupStats {
  version: CgroupVersion;
  cpu: CpuStats;
  memory: MemoryStats;
  /** limit null = unlimited. */
  pids: { current: number; limit: number | null };
  blkio: { ioServiceBytes: BlkioEntry[] };
  /** Processes the kernel OOM-killed in this cgroup so far. */
  oomKills: number;
}

/** One limit file and its live value, for the "under the hood" panel. */
export interface CgroupLimitFile {
  /** "memory", "cpu", "pids", ... (on v2, the file name's prefix). */
  controller: string;
  /** e.g. "memory.limit_in_bytes" or "memory.max". */
  file: string;
  /** Absolute path of the file. */
  path: string;
  /** The file's content, trimmed; multi-line files keep their newlines. */
  value: string;
}

export { detectCgroupVersion, locateCgroupByPid, locateCgroupByPath, defaultCgroupRoot } from './locate.js';
export { readCgroupStats, listCgroupLimits } from './read.js';
