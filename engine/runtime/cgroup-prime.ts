// Latency hiding for the cgroup move the runtime makes when it creates a
// container or an exec: the kernel's first cgroup.procs write after an idle
// spell waits for an RCU grace period (5–40 ms on a busy box; see
// native/src/cgroup/cgroup-prime.c). primeCgroupMove() starts such a write
// now — the engine's own pid into the cgroup it is already in, a no-op — on
// the thread pool, so that the wait overlaps with spawning the shim and the
// runtime instead of following it. Best effort: errors are ignored.
import { readFileSync, statfsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

let ownProcsFile: string | null | undefined;

/** <mount><our cgroup>/cgroup.procs for the v1 pids hierarchy or cgroup2; null when neither is where expected. */
export function findOwnProcsFile(procSelfCgroup: string): string | null {
  for (const line of procSelfCgroup.split('\n')) {
    const v1 = /^\d+:pids:(.*)$/.exec(line);
    const v2 = /^0::(.*)$/.exec(line);
    const [mount, path, magic] = v1
      ? ['/sys/fs/cgroup/pids', v1[1], CGROUP_SUPER_MAGIC]
      : v2
        ? ['/sys/fs/cgroup', v2[1], CGROUP2_SUPER_MAGIC]
        : [];
    if (!mount || path === undefined) continue;
    try {
      if (statfsSync(mount).type !== magic) continue;
    } catch {
      continue;
    }
    return `${mount}${path === '/' ? '' : path}/cgroup.procs`;
  }
  return null;
}

export function primeCgroupMove(): void {
  if (ownProcsFile === undefined) {
    try {
      ownProcsFile = findOwnProcsFile(readFileSync('/proc/self/cgroup', 'utf8'));
    } catch {
      ownProcsFile = null;
    }
  }
  if (ownProcsFile) void writeFile(ownProcsFile, String(process.pid)).catch(() => {});
}
