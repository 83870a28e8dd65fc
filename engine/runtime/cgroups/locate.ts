// Finds a container's cgroup: by the init pid (/proc/PID/cgroup) or by the
// cgroupsPath the runtime was given. v2 when <fsRoot>/cgroup.controllers
// exists, else v1 with one hierarchy per controller at <fsRoot>/<controller>
// (a hybrid host's empty cgroup2 mount at <fsRoot>/unified is ignored).
import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { wharfError } from '../../errors.js';
import type { CgroupLocation, CgroupVersion, LocateOptions } from './index.js';

/** The v1 controllers the runtime puts containers in. */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids'];

export function defaultCgroupRoot(): string {
  return process.env.WHARF_CGROUP_ROOT || '/sys/fs/cgroup';
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function detectCgroupVersion(fsRoot: string = defaultCgroupRoot()): Promise<CgroupVersion> {
  if (await exists(join(fsRoot, 'cgroup.controllers'))) return 'v2';
  for (const c of V1_CONTROLLERS) if (await isDir(join(fsRoot, c))) return 'v1';
  throw wharfError('CGROUP_NOT_FOUND', `no cgroup v1 or v2 hierarchy under ${fsRoot}`);
}

function checkPath(cgroupsPath: string): void {
  if (!cgroupsPath.startsWith('/') || cgroupsPath.split('/').includes('..')) {
    throw wharfError('INVALID_ARGUMENT', `cgroupsPath ${JSON.stringify(cgroupsPath)}`);
  }
}

/** The cgroup at cgroupsPath (e.g. /wharf/<id>), as wharf-runtime creates it. */
export async function locateCgroupByPath(
  cgroupsPath: string,
  opts: LocateOptions = {},
): Promise<CgroupLocation> {
  checkPath(cgroupsPath);
  const fsRoot = opts.fsRoot ?? defaultCgroupRoot();
  const version = await detectCgroupVersion(fsRoot);
  if (version === 'v2') return { version, fsRoot, dir: join(fsRoot, cgroupsPath) };
  const dirs: Partial<Record<string, string>> = {};
  for (const c of V1_CONTROLLERS) if (await isDir(join(fsRoot, c))) dirs[c] = join(fsRoot, c, cgroupsPath);
  return { version, fsRoot, dirs };
}

/**
 * The cgroup a process is in, from /proc/PID/cgroup ("ID:CONTROLLERS:PATH"
 * lines; "0::PATH" is the cgroup2 one). Paths are as seen from the engine's
 * cgroup namespace, which is the host's.
 */
export async function locateCgroupByPid(pid: number, opts: LocateOptions = {}): Promise<CgroupLocation> {
  if (!Number.isInteger(pid) || pid <= 0) throw wharfError('INVALID_ARGUMENT', `pid ${pid}`);
  const fsRoot = opts.fsRoot ?? defaultCgroupRoot();
  const version = await detectCgroupVersion(fsRoot);
  let text: string;
  try {
    text = await readFile(join(opts.procRoot ?? '/proc', String(pid), 'cgroup'), 'utf8');
  } catch (err) {
    throw wharfError('CGROUP_NOT_FOUND', `process ${pid} is gone`, err);
  }
  const dirs: Partial<Record<string, string>> = {};
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, id, controllers = '', path = '/'] = m;
    if (version === 'v2') {
      if (id === '0' && controllers === '') return { version, fsRoot, dir: join(fsRoot, path) };
      continue;
    }
    for (const c of controllers.split(',')) {
      if (c && !c.startsWith('name=') && (await isDir(join(fsRoot, c)))) dirs[c] = join(fsRoot, c, path);
    }
  }
  if (version === 'v2') throw wharfError('CGROUP_NOT_FOUND', `process ${pid} has no cgroup2 entry`);
  return { version, fsRoot, dirs };
}
