// Resolving Docker's User ("", "name", "uid", "name:group", "uid:gid", ...)
// against the image's /etc/passwd and /etc/group, with runc's rules
// (libcontainer/user GetExecUser): a name must exist, a number need not; with
// no explicit group the user's passwd gid is used and every group listing the
// user by name becomes an additional gid.
import { readFile, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { wharfError, isErrno } from '../../errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** The passwd home, "/" when the user has no entry (runc's default). */
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2 ** 31 - 1;

function parseId(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_ID ? n : undefined;
}

/**
 * Reads `path` inside `root`, resolving symlinks as if `root` were "/": a link
 * to "/etc/x" or "../../x" never leaves the root. Returns undefined when missing.
 * Only used before the container starts, when nothing else writes the rootfs.
 */
export async function readFileInRoot(root: string, path: string): Promise<string | undefined> {
  let rel: string[] = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const done: string[] = [];
  for (let hops = 0; rel.length > 0;) {
    const name = rel.shift() as string;
    if (name === '.') continue;
    if (name === '..') {
      done.pop();
      continue;
    }
    const host = posix.join(root, ...done, name);
    let target: string;
    try {
      target = await readlink(host);
    } catch (err) {
      if (isErrno(err, 'EINVAL')) {
        done.push(name); // not a symlink
        continue;
      }
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw err;
    }
    if (++hops > 40) throw wharfError('INVALID_CONFIG', `too many symlinks resolving ${path} in the image`);
    if (target.startsWith('/')) done.length = 0;
    rel = [...target.split('/').filter(Boolean), ...rel];
  }
  try {
    return await readFile(posix.join(root, ...done), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR') || isErrno(err, 'EISDIR')) return undefined;
    throw err;
  }
}

function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = parseId(f[2] ?? '');
    const gid = parseId(f[3] ?? '');
    if (f[0] === undefined || uid === undefined || gid === undefined) continue;
    out.push({ name: f[0], uid, gid, home: f[5] || '/' });
  }
  return out;
}

function parseGroup(text: string | undefined): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const f = line.split(':');
    const gid = parseId(f[2] ?? '');
    if (f[0] === undefined || gid === undefined) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

/**
 * Resolves `user` (Docker's Config.User) plus HostConfig.GroupAdd inside `rootfs`.
 * Throws INVALID_CONFIG like Docker: "unable to find user X: no matching entries in passwd file".
 */
export async function resolveUser(
  rootfs: string,
  user: string | undefined,
  groupAdd: readonly string[] = [],
): Promise<ResolvedUser> {
  const [userPart = '', groupPart] = (user ?? '').split(':', 2);
  const passwd = parsePasswd(await readFileInRoot(rootfs, '/etc/passwd'));
  const groups = parseGroup(await readFileInRoot(rootfs, '/etc/group'));

  const result: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };
  let matchedName: string | undefined;
  if (userPart === '') {
    // Docker's default: root; root's passwd entry still supplies the home.
    const root = passwd.find((p) => p.uid === 0);
    if (root) {
      result.home = root.home;
      matchedName = root.name;
    }
  } else {
    const numeric = parseId(userPart);
    const entry = passwd.find((p) => (numeric === undefined ? p.name === userPart : p.uid === numeric));
    if (entry) {
      result.uid = entry.uid;
      result.gid = entry.gid;
      result.home = entry.home;
      matchedName = entry.name;
    } else if (numeric !== undefined) {
      result.uid = numeric;
    } else {
      throw wharfError(
        'INVALID_CONFIG',
        `unable to find user ${userPart}: no matching entries in passwd file`,
      );
    }
  }

  if (groupPart !== undefined && groupPart !== '') {
    const numeric = parseId(groupPart);
    const entry = groups.find((g) => (numeric === undefined ? g.name === groupPart : g.gid === numeric));
    if (entry) result.gid = entry.gid;
    else if (numeric !== undefined) result.gid = numeric;
    else
      throw wharfError(
        'INVALID_CONFIG',
        `unable to find group ${groupPart}: no matching entries in group file`,
      );
  } else if (matchedName !== undefined) {
    for (const g of groups) if (g.members.includes(matchedName)) result.additionalGids.push(g.gid);
  }

  for (const extra of groupAdd) {
    const numeric = parseId(extra);
    const entry = groups.find((g) => g.name === extra);
    if (entry) result.additionalGids.push(entry.gid);
    else if (numeric !== undefined) result.additionalGids.push(numeric);
    else
      throw wharfError('INVALID_CONFIG', `unable to find group ${extra}: no matching entries in group file`);
  }
  result.additionalGids = [...new Set(result.additionalGids)];
  return result;
}
