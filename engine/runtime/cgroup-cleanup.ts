// Last line of defence on remove: the OCI runtime's delete removes the
// container's cgroup, but a runtime that crashed half-way can leave empty
// directories behind. This removes <mount>/<cgroupsPath> from every cgroup
// hierarchy (v1 controllers and a v2 mount alike); rmdir only succeeds on
// an empty cgroup, so it never touches one with processes.
import { readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errors.js';

let known: Promise<string[]> | undefined;

/**
 * Mount points of every cgroup / cgroup2 hierarchy, from /proc/self/mountinfo:
 * read once per process (the table also lists every container's rootfs, so
 * reading it per remove costs more as containers pile up; the hierarchies
 * are mounted at boot).
 */
export function cgroupMounts(): Promise<string[]> {
  known ??= readCgroupMounts();
  known.catch(() => (known = undefined));
  return known;
}

async function readCgroupMounts(): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const out = new Set<string>();
  for (const line of info.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const mountPoint = line.split(' ')[4];
    if (mountPoint) out.add(mountPoint.replace(/\\040/g, ' '));
  }
  return [...out];
}

/** Paths of `cgroupsPath` (e.g. /wharf/<id>) that still exist. */
export async function existingCgroupDirs(cgroupsPath: string): Promise<string[]> {
  const out: string[] = [];
  for (const m of await cgroupMounts()) {
    const dir = join(m, cgroupsPath);
    try {
      await readFile(join(dir, 'cgroup.procs'));
      out.push(dir);
    } catch {
      // not there
    }
  }
  return out;
}

/** Removes empty leftovers; returns the directories that could not be removed. */
export async function removeCgroupLeftovers(cgroupsPath: string): Promise<string[]> {
  // rmdir straight away, all hierarchies at once: ENOENT (the usual case,
  // the runtime removed them) costs less than checking first.
  const dirs = (await cgroupMounts()).map((m) => join(m, cgroupsPath));
  const results = await Promise.all(
    dirs.map((dir) =>
      rmdir(dir).then(
        () => undefined,
        (err: unknown) => (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR') ? undefined : dir),
      ),
    ),
  );
  return results.filter((d): d is string => d !== undefined);
}
