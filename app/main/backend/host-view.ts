// What the kernel says about a running container, read from /proc and the
// cgroup filesystem of this host (only meaningful when the engine runs on
// this machine: the embedded engine or a local socket).
import { readFile, readlink } from 'node:fs/promises';
import type { CgroupValues, UnderTheHood } from '../../shared/types.js';

const V1_FILES: Record<string, string[]> = {
  memory: ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.usage_in_bytes'],
  cpu: ['cpu.shares', 'cpu.cfs_quota_us', 'cpu.cfs_period_us'],
  pids: ['pids.max', 'pids.current'],
};
const V2_FILES = ['memory.max', 'memory.swap.max', 'memory.current', 'cpu.weight', 'cpu.max', 'pids.max'];
const NS_TYPES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts'];

async function read(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Cgroup of pid (or, for a stopped container, the runtime's default /wharf/<id>). */
export async function cgroupValues(pid: number, id: string, root = '/sys/fs/cgroup'): Promise<CgroupValues> {
  const v2 = (await read(`${root}/cgroup.controllers`)) !== undefined;
  const paths = new Map<string, string>();
  if (pid > 0) {
    const text = (await read(`/proc/${pid}/cgroup`)) ?? '';
    for (const line of text.split('\n')) {
      const [, ctrls, path] = line.split(':');
      if (ctrls === undefined || path === undefined) continue;
      for (const c of ctrls === '' ? [''] : ctrls.split(',')) paths.set(c, path);
    }
  }
  const files: Record<string, string> = {};
  if (v2) {
    const path = paths.get('') ?? `/wharf/${id}`;
    for (const f of V2_FILES) {
      const v = await read(`${root}${path}/${f}`);
      if (v !== undefined) files[f] = v;
    }
    return {
      version: 'v2',
      path,
      files,
      ...(Object.keys(files).length ? {} : { note: 'The cgroup is gone.' }),
    };
  }
  let shown = '';
  for (const [ctrl, names] of Object.entries(V1_FILES)) {
    const path = paths.get(ctrl) ?? `/wharf/${id}`;
    shown ||= path;
    const dir = ctrl === 'cpu' ? ['cpu', 'cpu,cpuacct'] : [ctrl];
    for (const f of names) {
      for (const d of dir) {
        const v = await read(`${root}/${d}${path}/${f}`);
        if (v !== undefined) {
          files[f] = v;
          break;
        }
      }
    }
  }
  const note = Object.keys(files).length
    ? undefined
    : pid > 0
      ? 'The cgroup files could not be read (is the engine on another machine?).'
      : 'The container is not running, so it has no cgroup.';
  return { version: 'v1', path: shown, files, ...(note ? { note } : {}) };
}

function parseOverlay(mountinfo: string): UnderTheHood['overlay'] {
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    if (fields[4] !== '/') continue;
    const [fstype, , super_] = right.split(' ');
    if (fstype !== 'overlay' || !super_) continue;
    const opts = new Map<string, string>();
    const lower: string[] = [];
    for (const kv of super_.split(',')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) continue;
      const k = kv.slice(0, eq);
      const v = kv.slice(eq + 1);
      // lowerdir=a:b (mount(2)) or one lowerdir+=a per layer (fsconfig, kernel 6.8+).
      if (k === 'lowerdir') lower.push(...v.split(':').filter(Boolean));
      else if (k === 'lowerdir+') lower.push(v);
      else opts.set(k, v);
    }
    return {
      lowerdir: lower,
      upperdir: opts.get('upperdir') ?? '',
      workdir: opts.get('workdir') ?? '',
      merged: '',
    };
  }
  return undefined;
}

export async function underTheHood(pid: number, id: string, merged: string): Promise<UnderTheHood> {
  const cgroup = await cgroupValues(pid, id);
  if (pid <= 0) return { pid, namespaces: [], cgroup, note: 'Start the container to see its namespaces.' };
  const namespaces: UnderTheHood['namespaces'] = [];
  for (const t of NS_TYPES) {
    const link = await readlink(`/proc/${pid}/ns/${t}`).catch(() => '');
    // The engine's own namespaces (the host's, for a rootful engine on this machine).
    const host = await readlink(`/proc/self/ns/${t}`).catch(() => '');
    const inode = /\[(\d+)\]/.exec(link)?.[1] ?? '';
    const hostInode = /\[(\d+)\]/.exec(host)?.[1] ?? '';
    if (inode) namespaces.push({ type: t, inode, hostInode, shared: inode === hostInode });
  }
  const mi = await read(`/proc/${pid}/mountinfo`);
  const overlay = mi ? parseOverlay(mi) : undefined;
  if (overlay) overlay.merged = merged;
  return {
    pid,
    namespaces,
    cgroup,
    ...(overlay ? { overlay } : {}),
    ...(namespaces.length
      ? {}
      : { note: 'The process is not visible from here (engine on another machine?).' }),
  };
}
